"""Jobs that bring files from outside into Focus: the Importer's scheduled imports."""
