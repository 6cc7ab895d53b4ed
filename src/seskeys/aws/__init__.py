"""Everything that talks to AWS: sessions, inventory, policy evaluation, provisioning, rotation."""
