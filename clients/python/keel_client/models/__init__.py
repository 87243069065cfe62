"""Contains all the data models used in inputs/outputs"""

from .api_key_out import ApiKeyOut
from .api_key_patch_in import ApiKeyPatchIn
from .cursor_params import CursorParams
from .error_detail import ErrorDetail
from .error_out import ErrorOut
from .me_out import MeOut
from .paged_api_key_out import PagedApiKeyOut
from .ping_out import PingOut
from .workspace_ref import WorkspaceRef

__all__ = (
    "ApiKeyOut",
    "ApiKeyPatchIn",
    "CursorParams",
    "ErrorDetail",
    "ErrorOut",
    "MeOut",
    "PagedApiKeyOut",
    "PingOut",
    "WorkspaceRef",
)
