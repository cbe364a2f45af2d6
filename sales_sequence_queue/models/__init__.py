from . import sales_sequence_enrollment
from . import sales_sequence_enroll_batch
