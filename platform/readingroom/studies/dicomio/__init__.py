"""Reading DICOM files and turning their pixels into what the viewer and the model need."""
