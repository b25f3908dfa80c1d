using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.WorkSessions;

namespace Coditect.Server.Platform;

// Dev Context part 2's request rules for the OpenAPI document (see OpenApiSchemas); keep them in step with
// DevContext/WorkSessions (WorkSessionAdmin.Validate, MessageLog.Prepare).
internal static partial class OpenApiSchemas
{
    private static readonly string[] WorkToolValues = [WorkTools.ClaudeCode, WorkTools.Codex, WorkTools.Cursor, WorkTools.Other];
    private static readonly string[] RoleValues = [MessageRoles.User, MessageRoles.Assistant, MessageRoles.System, MessageRoles.Tool];
    private static readonly string[] BlockTypeValues = [BlockTypes.Text, BlockTypes.Thinking, BlockTypes.ToolUse, BlockTypes.ToolResult];

    private static readonly Dictionary<Type, Dictionary<string, Member>> WorkSessionRequests = new()
    {
        [typeof(CreateWorkSessionRequest)] = new()
        {
            ["tool"] = Required with { Values = WorkToolValues },
            ["project_id"] = OptionalOrNull,
            ["repository_id"] = OptionalOrNull,
            ["branch"] = Text(OptionalOrNull, 255),
            ["model"] = Text(OptionalOrNull, 200),
            ["working_directory"] = Text(OptionalOrNull, 1000),
            ["title"] = Text(OptionalOrNull, 500),
            ["started_at"] = OptionalOrNull with { Description = "Now when left out." },
            ["ended_at"] = OptionalOrNull with { Description = "Not before `started_at`." },
            ["tags"] = Labels(OptionalOrNull) with { Description = "At most 20 tags of 1 to 50 characters, no quotes or backslashes; duplicates are dropped." },
            ["external_id"] = Text(OptionalOrNull, 200) with { Description = "The tool's own session id; unique per organization and tool." },
        },
        [typeof(CreateConversationRequest)] = new()
        {
            ["title"] = Text(OptionalOrNull, 500),
            ["summary"] = LongText(OptionalOrNull, 100_000),
            ["parent_id"] = OptionalOrNull with { Description = "A conversation of the same work session: this one is its side thread." },
            ["external_id"] = Text(OptionalOrNull, 200) with { Description = "Unique within the work session." },
        },
        [typeof(MessageBatchRequest)] = new() { ["messages"] = Required with { MaxItems = MessageLog.MaxBatch } },
        [typeof(MessageInput)] = new()
        {
            ["role"] = Required with { Values = RoleValues },
            ["text"] = LongText(OptionalOrNull, MessageLog.MaxBlockChars) with { Description = "One text block; or send `blocks`." },
            ["blocks"] = OptionalOrNull with { MaxItems = MessageLog.MaxBlocks },
            ["created_at"] = OptionalOrNull with { Description = "Now when left out." },
            ["model"] = Text(OptionalOrNull, 200),
            ["usage"] = OptionalOrNull,
            ["external_id"] = Text(OptionalOrNull, 200) with { Description = "Unique within the conversation: a message sent again with it is skipped." },
            ["parent_id"] = OptionalOrNull with { Description = "A message of the same work session." },
            ["parent_external_id"] = Text(OptionalOrNull, 200) with { Description = "The parent by external id, in this batch or stored." },
        },
        [typeof(ContentBlock)] = new()
        {
            ["type"] = Required with { Values = BlockTypeValues },
            ["text"] = LongText(OptionalOrNull, MessageLog.MaxBlockChars) with { Description = "For `text` and `thinking`." },
            ["name"] = Text(OptionalOrNull, 200) with { Description = "For `tool_use`: the tool's name." },
            ["input"] = OptionalOrNull with { Description = "For `tool_use`: any JSON." },
            ["content"] = LongText(OptionalOrNull, MessageLog.MaxBlockChars) with { Description = "For `tool_result`." },
            ["is_error"] = OptionalOrNull,
        },
        [typeof(TokenUsage)] = new()
        {
            ["input_tokens"] = OptionalOrNull with { Minimum = 0 },
            ["output_tokens"] = OptionalOrNull with { Minimum = 0 },
            ["cache_read_tokens"] = OptionalOrNull with { Minimum = 0 },
            ["cache_write_tokens"] = OptionalOrNull with { Minimum = 0 },
        },
        [typeof(HashContentRequest)] = new()
        {
            ["text"] = LongText(OptionalOrNull, MessageLog.MaxBlockChars) with { Description = "One text block; or send `blocks`." },
            ["blocks"] = OptionalOrNull with { MaxItems = MessageLog.MaxBlocks },
        },
    };

    private static readonly Dictionary<(Type, string), string[]> WorkSessionAnswerValues = new()
    {
        [(typeof(WorkSessionResponse), "tool")] = WorkToolValues,
        [(typeof(MessageResponse), "role")] = RoleValues,
        [(typeof(SearchHit), "role")] = RoleValues,
        [(typeof(ContentAppearance), "role")] = RoleValues,
    };
}
