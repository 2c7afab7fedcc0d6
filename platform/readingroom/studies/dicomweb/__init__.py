"""DICOMweb (PS3.18) for viewers and research tools: QIDO-RS search and WADO-RS retrieval of the stored,
de-identified instances; bitmap-imported images are served as Secondary Capture instances. The README's
"DICOMweb conformance" section states what is supported.

- :mod:`.instances`: the instances a user may see, their headers and frames (selectors);
- :mod:`.matching` and :mod:`.qido`: QIDO-RS query keys, matching and results;
- :mod:`.negotiation`, :mod:`.frames`, :mod:`.retrieve`, :mod:`.rendered`: WADO-RS content negotiation and
  encodings; :mod:`.responses`: DICOM JSON and streamed multipart bodies; :mod:`.views`: the HTTP adapters.
"""

from readingroom.studies.dicomweb.instances import bitmap_series_uid, instance_header, series_uid_of

__all__ = ["bitmap_series_uid", "instance_header", "series_uid_of"]
