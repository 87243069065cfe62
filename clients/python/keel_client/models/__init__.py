"""Contains all the data models used in inputs/outputs"""

from .add_to_dataset_in import AddToDatasetIn
from .api_key_out import ApiKeyOut
from .api_key_patch_in import ApiKeyPatchIn
from .budget_out import BudgetOut
from .call_out import CallOut
from .call_out_bodies import CallOutBodies
from .call_out_kind import CallOutKind
from .case_out import CaseOut
from .case_out_details import CaseOutDetails
from .citation_out import CitationOut
from .collection_in import CollectionIn
from .collection_out import CollectionOut
from .collection_patch import CollectionPatch
from .comparison_out import ComparisonOut
from .comparison_out_cases_item import ComparisonOutCasesItem
from .comparison_out_deltas_item import ComparisonOutDeltasItem
from .comparison_out_summaries_item import ComparisonOutSummariesItem
from .comparison_query import ComparisonQuery
from .contact_details import ContactDetails
from .conversation_in import ConversationIn
from .conversation_out import ConversationOut
from .conversation_patch import ConversationPatch
from .cursor_params import CursorParams
from .dataset_in import DatasetIn
from .dataset_out import DatasetOut
from .document_out import DocumentOut
from .embedding_index_out import EmbeddingIndexOut
from .embedding_index_state_out import EmbeddingIndexStateOut
from .embedding_model_in import EmbeddingModelIn
from .embedding_model_in_model import EmbeddingModelInModel
from .embedding_model_out import EmbeddingModelOut
from .error_detail import ErrorDetail
from .error_out import ErrorOut
from .example_out import ExampleOut
from .example_out_input import ExampleOutInput
from .exchange_out import ExchangeOut
from .export_dataset_items_format import ExportDatasetItemsFormat
from .export_query import ExportQuery
from .export_query_format import ExportQueryFormat
from .feedback_filters import FeedbackFilters
from .feedback_filters_rating_type_0 import FeedbackFiltersRatingType0
from .feedback_in import FeedbackIn
from .feedback_in_rating import FeedbackInRating
from .feedback_out import FeedbackOut
from .get_usage_group_by_type_0 import GetUsageGroupByType0
from .grader_in import GraderIn
from .grader_in_params import GraderInParams
from .import_dataset_items_multi_part_body_params import ImportDatasetItemsMultiPartBodyParams
from .import_dataset_items_multi_part_body_params_format import ImportDatasetItemsMultiPartBodyParamsFormat
from .invoice_fields import InvoiceFields
from .item_change_out import ItemChangeOut
from .item_in import ItemIn
from .item_in_input import ItemInInput
from .item_in_metadata import ItemInMetadata
from .item_out import ItemOut
from .item_out_input import ItemOutInput
from .item_out_metadata import ItemOutMetadata
from .item_patch import ItemPatch
from .item_patch_input_type_0 import ItemPatchInputType0
from .item_patch_metadata_type_0 import ItemPatchMetadataType0
from .job_detail_out import JobDetailOut
from .job_detail_out_input import JobDetailOutInput
from .job_detail_out_result_type_0 import JobDetailOutResultType0
from .job_out import JobOut
from .job_out_input import JobOutInput
from .job_out_result_type_0 import JobOutResultType0
from .line_item import LineItem
from .list_feedback_rating_type_0 import ListFeedbackRatingType0
from .list_traces_status_type_0 import ListTracesStatusType0
from .me_out import MeOut
from .message_error import MessageError
from .message_in import MessageIn
from .message_out import MessageOut
from .message_usage_out import MessageUsageOut
from .paged_api_key_out import PagedApiKeyOut
from .paged_case_out import PagedCaseOut
from .paged_collection_out import PagedCollectionOut
from .paged_conversation_out import PagedConversationOut
from .paged_dataset_out import PagedDatasetOut
from .paged_document_out import PagedDocumentOut
from .paged_feedback_out import PagedFeedbackOut
from .paged_item_out import PagedItemOut
from .paged_job_out import PagedJobOut
from .paged_message_out import PagedMessageOut
from .paged_question_out import PagedQuestionOut
from .paged_run_out import PagedRunOut
from .paged_trace_out import PagedTraceOut
from .paged_version_out import PagedVersionOut
from .passage_detail_out import PassageDetailOut
from .passage_out import PassageOut
from .ping_out import PingOut
from .question_detail_out import QuestionDetailOut
from .question_in import QuestionIn
from .question_in_task import QuestionInTask
from .question_out import QuestionOut
from .run_config_in import RunConfigIn
from .run_detail_out import RunDetailOut
from .run_detail_out_config import RunDetailOutConfig
from .run_detail_out_graders_item import RunDetailOutGradersItem
from .run_detail_out_summary import RunDetailOutSummary
from .run_in import RunIn
from .run_out import RunOut
from .run_out_config import RunOutConfig
from .run_out_graders_item import RunOutGradersItem
from .score_out import ScoreOut
from .search_in import SearchIn
from .search_out import SearchOut
from .span_out import SpanOut
from .span_out_attributes import SpanOutAttributes
from .tool_step_out import ToolStepOut
from .tool_step_out_arguments_type_0 import ToolStepOutArgumentsType0
from .trace_detail_out import TraceDetailOut
from .trace_filters import TraceFilters
from .trace_filters_status_type_0 import TraceFiltersStatusType0
from .trace_out import TraceOut
from .upload_document_file_params import UploadDocumentFileParams
from .upload_out import UploadOut
from .usage_numbers_out import UsageNumbersOut
from .usage_out import UsageOut
from .usage_query import UsageQuery
from .usage_query_group_by_type_0 import UsageQueryGroupByType0
from .usage_report_out import UsageReportOut
from .usage_report_out_scope import UsageReportOutScope
from .usage_row_out import UsageRowOut
from .version_out import VersionOut
from .version_query import VersionQuery
from .workspace_ref import WorkspaceRef

__all__ = (
    "AddToDatasetIn",
    "ApiKeyOut",
    "ApiKeyPatchIn",
    "BudgetOut",
    "CallOut",
    "CallOutBodies",
    "CallOutKind",
    "CaseOut",
    "CaseOutDetails",
    "CitationOut",
    "CollectionIn",
    "CollectionOut",
    "CollectionPatch",
    "ComparisonOut",
    "ComparisonOutCasesItem",
    "ComparisonOutDeltasItem",
    "ComparisonOutSummariesItem",
    "ComparisonQuery",
    "ContactDetails",
    "ConversationIn",
    "ConversationOut",
    "ConversationPatch",
    "CursorParams",
    "DatasetIn",
    "DatasetOut",
    "DocumentOut",
    "EmbeddingIndexOut",
    "EmbeddingIndexStateOut",
    "EmbeddingModelIn",
    "EmbeddingModelInModel",
    "EmbeddingModelOut",
    "ErrorDetail",
    "ErrorOut",
    "ExampleOut",
    "ExampleOutInput",
    "ExchangeOut",
    "ExportDatasetItemsFormat",
    "ExportQuery",
    "ExportQueryFormat",
    "FeedbackFilters",
    "FeedbackFiltersRatingType0",
    "FeedbackIn",
    "FeedbackInRating",
    "FeedbackOut",
    "GetUsageGroupByType0",
    "GraderIn",
    "GraderInParams",
    "ImportDatasetItemsMultiPartBodyParams",
    "ImportDatasetItemsMultiPartBodyParamsFormat",
    "InvoiceFields",
    "ItemChangeOut",
    "ItemIn",
    "ItemInInput",
    "ItemInMetadata",
    "ItemOut",
    "ItemOutInput",
    "ItemOutMetadata",
    "ItemPatch",
    "ItemPatchInputType0",
    "ItemPatchMetadataType0",
    "JobDetailOut",
    "JobDetailOutInput",
    "JobDetailOutResultType0",
    "JobOut",
    "JobOutInput",
    "JobOutResultType0",
    "LineItem",
    "ListFeedbackRatingType0",
    "ListTracesStatusType0",
    "MeOut",
    "MessageError",
    "MessageIn",
    "MessageOut",
    "MessageUsageOut",
    "PagedApiKeyOut",
    "PagedCaseOut",
    "PagedCollectionOut",
    "PagedConversationOut",
    "PagedDatasetOut",
    "PagedDocumentOut",
    "PagedFeedbackOut",
    "PagedItemOut",
    "PagedJobOut",
    "PagedMessageOut",
    "PagedQuestionOut",
    "PagedRunOut",
    "PagedTraceOut",
    "PagedVersionOut",
    "PassageDetailOut",
    "PassageOut",
    "PingOut",
    "QuestionDetailOut",
    "QuestionIn",
    "QuestionInTask",
    "QuestionOut",
    "RunConfigIn",
    "RunDetailOut",
    "RunDetailOutConfig",
    "RunDetailOutGradersItem",
    "RunDetailOutSummary",
    "RunIn",
    "RunOut",
    "RunOutConfig",
    "RunOutGradersItem",
    "ScoreOut",
    "SearchIn",
    "SearchOut",
    "SpanOut",
    "SpanOutAttributes",
    "ToolStepOut",
    "ToolStepOutArgumentsType0",
    "TraceDetailOut",
    "TraceFilters",
    "TraceFiltersStatusType0",
    "TraceOut",
    "UploadDocumentFileParams",
    "UploadOut",
    "UsageNumbersOut",
    "UsageOut",
    "UsageQuery",
    "UsageQueryGroupByType0",
    "UsageReportOut",
    "UsageReportOutScope",
    "UsageRowOut",
    "VersionOut",
    "VersionQuery",
    "WorkspaceRef",
)
