"""Contains all the data models used in inputs/outputs"""

from .api_key_out import ApiKeyOut
from .api_key_patch_in import ApiKeyPatchIn
from .citation_out import CitationOut
from .conversation_in import ConversationIn
from .conversation_out import ConversationOut
from .conversation_patch import ConversationPatch
from .cursor_params import CursorParams
from .error_detail import ErrorDetail
from .error_out import ErrorOut
from .exchange_out import ExchangeOut
from .job_detail_out import JobDetailOut
from .job_detail_out_input import JobDetailOutInput
from .job_detail_out_result_type_0 import JobDetailOutResultType0
from .job_out import JobOut
from .job_out_input import JobOutInput
from .job_out_result_type_0 import JobOutResultType0
from .me_out import MeOut
from .message_error import MessageError
from .message_in import MessageIn
from .message_out import MessageOut
from .message_usage_out import MessageUsageOut
from .paged_api_key_out import PagedApiKeyOut
from .paged_conversation_out import PagedConversationOut
from .paged_job_out import PagedJobOut
from .paged_message_out import PagedMessageOut
from .paged_question_out import PagedQuestionOut
from .ping_out import PingOut
from .question_detail_out import QuestionDetailOut
from .question_in import QuestionIn
from .question_in_task import QuestionInTask
from .question_out import QuestionOut
from .usage_out import UsageOut
from .workspace_ref import WorkspaceRef

__all__ = (
    "ApiKeyOut",
    "ApiKeyPatchIn",
    "CitationOut",
    "ConversationIn",
    "ConversationOut",
    "ConversationPatch",
    "CursorParams",
    "ErrorDetail",
    "ErrorOut",
    "ExchangeOut",
    "JobDetailOut",
    "JobDetailOutInput",
    "JobDetailOutResultType0",
    "JobOut",
    "JobOutInput",
    "JobOutResultType0",
    "MeOut",
    "MessageError",
    "MessageIn",
    "MessageOut",
    "MessageUsageOut",
    "PagedApiKeyOut",
    "PagedConversationOut",
    "PagedJobOut",
    "PagedMessageOut",
    "PagedQuestionOut",
    "PingOut",
    "QuestionDetailOut",
    "QuestionIn",
    "QuestionInTask",
    "QuestionOut",
    "UsageOut",
    "WorkspaceRef",
)
