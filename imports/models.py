"""An import of contacts from a CSV file (ImportRun) and what its dry run found for each row (ImportRow)."""

from django.conf import settings
from django.db import models


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Choosing columns"
    CHECKING = "checking", "Dry run running"
    CHECKED = "checked", "Dry run done"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Imported"
    FAILED = "failed", "Failed"


class ImportMode(models.TextChoices):
    ADD = "add", "Only add new contacts"
    UPDATE = "update", "Add new contacts and update existing ones"


class RowAction(models.TextChoices):
    CREATE = "create", "To create"
    UPDATE = "update", "To update"
    UNCHANGED = "unchanged", "Unchanged"
    SKIP = "skip", "Skipped"
    ERROR = "error", "Error"


# The actions counted on the results page, in the order shown.
COUNTED = (RowAction.CREATE, RowAction.UPDATE, RowAction.UNCHANGED, RowAction.SKIP, RowAction.ERROR)


class ImportRun(models.Model):
    """One file a person uploaded, how its columns map, what the dry run counted and what the import did.

    The file is kept in private storage (the exports storage, under imports/) for IMPORT_FILE_DAYS days;
    the mapping is {column index: field}; counts are {action: rows} from the dry run, `done` is what the import
    wrote. Each job (dry run, import) is a jobs.Job; the run names the latest.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)
    stored_file = models.CharField(max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=2)
    header = models.JSONField(default=list)
    samples = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    mode = models.CharField(max_length=10, choices=ImportMode, default=ImportMode.ADD)
    create_missing = models.BooleanField(
        default=False, help_text="Create the labels and companies the file names that do not exist yet."
    )
    status = models.CharField(max_length=12, choices=ImportStatus, default=ImportStatus.MAPPING)
    rows = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    done = models.JSONField(default=dict, blank=True)
    job = models.ForeignKey("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    failure_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.file_name})"

    @property
    def not_imported(self) -> int:
        """Rows the import did not write: errors and skips of the dry run, and rows changed since it."""
        done = self.done or {}
        written = done.get(RowAction.CREATE, 0) + done.get(RowAction.UPDATE, 0)
        return self.rows - written - (self.counts or {}).get(RowAction.UNCHANGED, 0)

    @property
    def reference(self) -> str:
        """How the timeline and suggestions name it: "Import #3 (contacts.csv)", the name cut to fit a suggestion."""
        name = self.file_name if len(self.file_name) <= 60 else self.file_name[:59] + "…"
        return f"Import #{self.pk} ({name})"


class ImportRow(models.Model):
    """What the dry run found for one row of the file, and what the import then did with it.

    `plan` holds exactly what the import will write (imports.planning.RowPlan as JSON), so the import applies
    what the dry run showed; `version` is the contact's updated_at the dry run saw, so a contact changed in
    between is reported instead of overwritten. `cells` keeps the row as read, for the file of rows not imported.
    """

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="results")
    number = models.PositiveIntegerField(help_text="The row's line in the file, the header being line 1.")
    email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=10, choices=RowAction)
    contact_id = models.BigIntegerField(null=True, blank=True)
    version = models.DateTimeField(null=True, blank=True)
    plan = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=list, blank=True)
    problems = models.JSONField(default=list, blank=True)
    cells = models.JSONField(default=list, blank=True)
    # After the import: "" not yet, else the action taken, or "error" with the reason in outcome.
    applied = models.CharField(max_length=10, blank=True)
    outcome = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["run", "number"]
        constraints = [models.UniqueConstraint(fields=["run", "number"], name="import_row_unique_number")]
        indexes = [models.Index(fields=["run", "action", "number"], name="import_row_by_action")]

    def __str__(self) -> str:
        return f"Row {self.number} of import {self.run_id}: {self.action}"
