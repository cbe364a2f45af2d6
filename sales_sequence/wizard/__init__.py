from . import sales_sequence_enroll_wizard
from . import mail_compose_message
from . import sales_sequence_step_preview
from . import sales_sequence_log_call
from . import sales_sequence_comparison
