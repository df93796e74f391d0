"""Makes every step visible to every feature (pytest-bdd steps are fixtures)."""

from .api_contract import *  # noqa: F403
from .api_key import *  # noqa: F403
from .common import *  # noqa: F403
from .configuration import *  # noqa: F403
from .connections import *  # noqa: F403
from .creating_connections import *  # noqa: F403
from .customized_flow import *  # noqa: F403
from .every_rule_everywhere import *  # noqa: F403
from .flow_customization import *  # noqa: F403
from .flow_pages import *  # noqa: F403
from .integrations import *  # noqa: F403
from .merchants import *  # noqa: F403
from .one_time_password import *  # noqa: F403
from .readiness import *  # noqa: F403
from .start_url import *  # noqa: F403
from .sync_history import *  # noqa: F403
from .webhooks_and_syncs import *  # noqa: F403
