from . import sales_sequence_enroll_wizard
