"""The narrative report: drafting it from a master (docxtpl) and checking one against a master."""
