"""Every write of the imports app: upload and options, the dry run (checking), the import (applying), their jobs.

The names are gathered here so callers write `services.name` whichever file it lives in.
"""

from imports.services.applying import import_apply, import_planned
from imports.services.checking import (
    APPLY,
    CHECK,
    import_apply_queue,
    import_check,
    import_check_queue,
    import_counts,
    import_files_expire,
    import_mode_label,
    import_options_set,
    import_rows_count,
    import_status_set,
    import_upload,
)

__all__ = [
    "APPLY",
    "CHECK",
    "import_apply",
    "import_apply_queue",
    "import_check",
    "import_check_queue",
    "import_counts",
    "import_files_expire",
    "import_mode_label",
    "import_options_set",
    "import_planned",
    "import_rows_count",
    "import_status_set",
    "import_upload",
]
