"""Moving key records in and out of other systems: LastPass CSV files and the ``lpass`` CLI."""
