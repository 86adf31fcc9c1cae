"""Corpus readers (MGID, DAIC-WOZ, E-DAIC) producing `Sample` records, and the demo generator."""
