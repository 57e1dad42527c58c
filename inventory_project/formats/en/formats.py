"""One way to write a date everywhere a person reads one: "3 Dec 2026, 14:05" (Django's
`date` filter and `date_format` read these; FORMAT_MODULE_PATH in settings). Files and the
API keep ISO 8601."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
MONTH_DAY_FORMAT = "j M"
YEAR_MONTH_FORMAT = "M Y"
