"""The narrative report: drafting it from a master (docxtpl), reading a report's figures with their
meaning (reading), and checking them against each other, its own tables and a master (check)."""
