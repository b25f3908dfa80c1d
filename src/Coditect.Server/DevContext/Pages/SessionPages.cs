using System.Globalization;
using System.Net;
using System.Text.Json;
using Coditect.Contracts.DevContext;
using Coditect.Server.DevContext.Projects;
using Coditect.Server.DevContext.WorkSessions;
using Coditect.Server.Platform;
using Microsoft.AspNetCore.Html;

namespace Coditect.Server.DevContext.Pages;

/// <summary>What the work-session pages share: names for ids, durations, block text, and links into a timeline.</summary>
public static class SessionPages
{
    /// <summary>Messages on one timeline page.</summary>
    public const int TimelinePageSize = 200;

    /// <summary>A block's text longer than this is cut on the page (the export has all of it).</summary>
    public const int MaxShownChars = 50_000;

    public static string Duration(long? seconds) => seconds switch
    {
        null => "—",
        < 60 => $"{seconds} s",
        < 3600 => $"{seconds / 60} min {seconds % 60} s",
        _ => $"{seconds / 3600} h {seconds % 3600 / 60} min",
    };

    /// <summary>The timeline page that starts at the message at <paramref name="position"/> of <paramref name="conversationId"/>, anchored on it.</summary>
    public static string MessageLink(string orgPath, Guid sessionId, Guid conversationId, int position, Guid messageId) =>
        $"{orgPath}/work-sessions/{sessionId}?cursor={TimelineCursor.Encode(conversationId, position - 1)}#m-{messageId}";

    /// <summary>
    /// A search snippet as markup: the search escapes the text and adds <c>&lt;mark&gt;</c>; here the text between the
    /// marks is decoded and encoded again by the HTML encoder, so nothing but the marks can ever be markup.
    /// </summary>
    public static IHtmlContent Highlight(string snippet)
    {
        var html = new HtmlContentBuilder();
        foreach (var (part, index) in snippet.Split("<mark>").Select((p, i) => (p, i)))
        {
            var end = index == 0 ? -1 : part.IndexOf("</mark>", StringComparison.Ordinal);
            if (end < 0)
            {
                html.Append(WebUtility.HtmlDecode(part));
                continue;
            }

            html.AppendHtml("<mark>").Append(WebUtility.HtmlDecode(part[..end])).AppendHtml("</mark>")
                .Append(WebUtility.HtmlDecode(part[(end + "</mark>".Length)..]));
        }

        return html;
    }

    public static bool IsTimelineCursor(string? cursor) => TimelineCursor.IsValid(cursor);

    /// <summary>At most <see cref="MaxShownChars"/> characters of <paramref name="text"/>, and how many were left out.</summary>
    public static (string Shown, int Cut) Clip(string? text)
    {
        text ??= "";
        return text.Length <= MaxShownChars ? (text, 0) : (text[..MaxShownChars], text.Length - MaxShownChars);
    }

    /// <summary>A tool call's input, indented.</summary>
    public static string Input(JsonElement? input) =>
        input is { } value ? JsonSerializer.Serialize(value, Indented) : "";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Tokens(TokenUsage usage) =>
        (usage.InputTokens ?? 0) == 0 && (usage.OutputTokens ?? 0) == 0 ? ""
            : string.Create(CultureInfo.InvariantCulture, $"{usage.InputTokens ?? 0:N0} in / {usage.OutputTokens ?? 0:N0} out");

    /// <summary>The organization's projects by name (the first 100), for filters and names.</summary>
    public static async Task<IReadOnlyList<ProjectResponse>> ProjectsAsync(ProjectAdmin projects, CancellationToken ct) =>
        (await projects.ListAsync(new ProjectAdmin.ProjectFilter(null, null, ""), new Keyset("name", false, Keyset.MaxPageSize, null, null), ct)).Items;
}
