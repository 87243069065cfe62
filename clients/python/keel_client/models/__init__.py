"""Contains all the data models used in inputs/outputs"""

from .api_key_out import ApiKeyOut
from .api_key_patch_in import ApiKeyPatchIn
from .citation_out import CitationOut
from .collection_in import CollectionIn
from .collection_out import CollectionOut
from .collection_patch import CollectionPatch
from .conversation_in import ConversationIn
from .conversation_out import ConversationOut
from .conversation_patch import ConversationPatch
from .cursor_params import CursorParams
from .document_out import DocumentOut
from .embedding_index_out import EmbeddingIndexOut
from .embedding_index_state_out import EmbeddingIndexStateOut
from .embedding_model_in import EmbeddingModelIn
from .embedding_model_in_model import EmbeddingModelInModel
from .embedding_model_out import EmbeddingModelOut
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
from .paged_collection_out import PagedCollectionOut
from .paged_conversation_out import PagedConversationOut
from .paged_document_out import PagedDocumentOut
from .paged_job_out import PagedJobOut
from .paged_message_out import PagedMessageOut
from .paged_question_out import PagedQuestionOut
from .passage_detail_out import PassageDetailOut
from .passage_out import PassageOut
from .ping_out import PingOut
from .question_detail_out import QuestionDetailOut
from .question_in import QuestionIn
from .question_in_task import QuestionInTask
from .question_out import QuestionOut
from .search_in import SearchIn
from .search_out import SearchOut
from .upload_document_file_params import UploadDocumentFileParams
from .upload_out import UploadOut
from .usage_out import UsageOut
from .workspace_ref import WorkspaceRef

__all__ = (
    "ApiKeyOut",
    "ApiKeyPatchIn",
    "CitationOut",
    "CollectionIn",
    "CollectionOut",
    "CollectionPatch",
    "ConversationIn",
    "ConversationOut",
    "ConversationPatch",
    "CursorParams",
    "DocumentOut",
    "EmbeddingIndexOut",
    "EmbeddingIndexStateOut",
    "EmbeddingModelIn",
    "EmbeddingModelInModel",
    "EmbeddingModelOut",
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
    "PagedCollectionOut",
    "PagedConversationOut",
    "PagedDocumentOut",
    "PagedJobOut",
    "PagedMessageOut",
    "PagedQuestionOut",
    "PassageDetailOut",
    "PassageOut",
    "PingOut",
    "QuestionDetailOut",
    "QuestionIn",
    "QuestionInTask",
    "QuestionOut",
    "SearchIn",
    "SearchOut",
    "UploadDocumentFileParams",
    "UploadOut",
    "UsageOut",
    "WorkspaceRef",
)
