"""DICOM series: discovery, grouping, sorting, geometry, pixels."""
