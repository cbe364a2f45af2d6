from . import test_schedule
from . import test_render
from . import test_autoreply
from . import test_sequence
from . import test_enroll
from . import test_engine
from . import test_unsubscribe
from . import test_exits
