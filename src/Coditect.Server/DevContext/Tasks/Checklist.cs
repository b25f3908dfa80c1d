using System.Text;
using System.Text.RegularExpressions;

namespace Coditect.Server.DevContext.Tasks;

/// <summary>
/// Markdown checklists, in and out. Reading: every heading (<c>#</c> to <c>######</c>) starts a task list; every
/// <c>- [ ]</c>, <c>- [x]</c> (or <c>*</c>, <c>+</c>, <c>1.</c>) item is a task, done when ticked; an item indented
/// under another is its sub-task. Items before the first heading go to a list named <see cref="DefaultList"/>; other
/// lines are ignored. Writing produces exactly that form, so a project exported and imported into an empty project
/// has the same lists, tasks, order, checkbox states and nesting.
/// </summary>
public static partial class Checklist
{
    public const string DefaultList = "Tasks";

    public sealed record Item(string Title, bool Done, List<Item> Children, int Line);

    public sealed record Section(string Title, List<Item> Items);

    [GeneratedRegex(@"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^([ \t]*)(?:[-*+]|\d{1,9}[.)])[ \t]+\[([ xX])\][ \t]+(.*)$")]
    private static partial Regex Box();

    [GeneratedRegex(@"^[ \t]*```")]
    private static partial Regex Fence();

    /// <summary>The document's lists and tasks, in document order. Empty titles are skipped; fenced code blocks are ignored.</summary>
    public static List<Section> Parse(string markdown)
    {
        var sections = new List<Section>();
        Section? current = null;
        var stack = new List<(int Indent, Item Item)>();
        var inFence = false;
        var lineNumber = 0;
        foreach (var raw in markdown.Split('\n'))
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (Fence().IsMatch(line))
            {
                inFence = !inFence;
                continue;
            }

            if (inFence)
            {
                continue;
            }

            if (Heading().Match(line) is { Success: true } heading)
            {
                var title = heading.Groups[2].Value.Trim();
                if (title.Length > 0)
                {
                    current = new Section(title, []);
                    sections.Add(current);
                    stack.Clear();
                }

                continue;
            }

            if (Box().Match(line) is not { Success: true } box)
            {
                continue;
            }

            var text = box.Groups[3].Value.Trim();
            if (text.Length == 0)
            {
                continue;
            }

            if (current is null)
            {
                current = new Section(DefaultList, []);
                sections.Add(current);
            }

            var indent = Indent(box.Groups[1].Value);
            var item = new Item(text, box.Groups[2].Value != " ", [], lineNumber);
            while (stack.Count > 0 && stack[^1].Indent >= indent)
            {
                stack.RemoveAt(stack.Count - 1);
            }

            if (stack.Count == 0)
            {
                current.Items.Add(item);
            }
            else
            {
                stack[^1].Item.Children.Add(item);
            }

            stack.Add((indent, item));
        }

        return sections;
    }

    /// <summary>Writes lists as <c>## Title</c> and tasks as <c>- [ ]</c> / <c>- [x]</c> items, sub-tasks indented two spaces per level.</summary>
    public static string Write(IEnumerable<Section> sections)
    {
        var builder = new StringBuilder();
        foreach (var section in sections)
        {
            if (builder.Length > 0)
            {
                builder.Append('\n');
            }

            builder.Append("## ").Append(section.Title).Append('\n');
            if (section.Items.Count > 0)
            {
                builder.Append('\n');
            }

            foreach (var item in section.Items)
            {
                WriteItem(builder, item, 0);
            }
        }

        return builder.ToString();
    }

    /// <summary>Every item of the sections, depth first: the number of tasks an import makes.</summary>
    public static int Count(IEnumerable<Section> sections) => sections.Sum(s => Count(s.Items));

    private static int Count(List<Item> items) => items.Sum(i => 1 + Count(i.Children));

    private static void WriteItem(StringBuilder builder, Item item, int depth)
    {
        builder.Append(' ', depth * 2).Append(item.Done ? "- [x] " : "- [ ] ").Append(item.Title).Append('\n');
        foreach (var child in item.Children)
        {
            WriteItem(builder, child, depth + 1);
        }
    }

    private static int Indent(string whitespace) => whitespace.Sum(c => c == '\t' ? 4 : 1);
}
