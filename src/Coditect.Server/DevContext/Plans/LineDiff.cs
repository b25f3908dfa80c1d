using System.Globalization;
using System.Text;

namespace Coditect.Server.DevContext.Plans;

/// <summary>
/// A unified diff of two texts by lines (Myers' O(ND) algorithm, the one git and GNU diff start from). The common
/// head and tail are set aside first; past <see cref="MaxEdits"/> edits the search stops and the rest of the middle
/// is shown as removed and added whole, so a diff of two unrelated megabyte plans stays fast and correct, if not
/// minimal. Written here rather than taken from a package: nothing in Directory.Packages.props diffs text, and the
/// algorithm is sixty lines.
/// </summary>
public static class LineDiff
{
    public const int MaxEdits = 1000;
    public const int Context = 3;

    private enum Op
    {
        Equal,
        Delete,
        Insert,
    }

    /// <summary>The unified diff (<c>--- </c><paramref name="fromName"/>, <c>+++ </c><paramref name="toName"/>, <c>@@</c> hunks); empty when the texts are equal.</summary>
    public static (string Diff, int Additions, int Deletions) Unified(string from, string to, string fromName, string toName)
    {
        var a = Lines(from);
        var b = Lines(to);
        var script = Script(a, b);
        var additions = script.Count(s => s.Op == Op.Insert);
        var deletions = script.Count(s => s.Op == Op.Delete);
        if (additions + deletions == 0)
        {
            return ("", 0, 0);
        }

        var output = new StringBuilder();
        output.Append("--- ").Append(fromName).Append('\n').Append("+++ ").Append(toName).Append('\n');
        foreach (var (start, end) in Hunks(script))
        {
            var oldStart = script[start].A;
            var newStart = script[start].B;
            var oldCount = 0;
            var newCount = 0;
            for (var i = start; i < end; i++)
            {
                oldCount += script[i].Op != Op.Insert ? 1 : 0;
                newCount += script[i].Op != Op.Delete ? 1 : 0;
            }

            output.Append("@@ -").Append(Range(oldStart, oldCount)).Append(" +").Append(Range(newStart, newCount)).Append(" @@\n");
            for (var i = start; i < end; i++)
            {
                var (op, ai, bi) = script[i];
                output.Append(op switch { Op.Equal => ' ', Op.Delete => '-', _ => '+' })
                    .Append(op == Op.Insert ? b[bi] : a[ai]).Append('\n');
            }
        }

        return (output.ToString(), additions, deletions);
    }

    /// <summary>GNU's range form: <c>start,count</c> with 1-based start; an empty range names the line before it.</summary>
    private static string Range(int start, int count) => count switch
    {
        0 => $"{start.ToString(CultureInfo.InvariantCulture)},0",
        1 => (start + 1).ToString(CultureInfo.InvariantCulture),
        _ => $"{(start + 1).ToString(CultureInfo.InvariantCulture)},{count.ToString(CultureInfo.InvariantCulture)}",
    };

    private static string[] Lines(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    /// <summary>Runs of the script with changes, each with up to <see cref="Context"/> equal lines around it; close runs merge.</summary>
    private static List<(int Start, int End)> Hunks(List<(Op Op, int A, int B)> script)
    {
        var hunks = new List<(int Start, int End)>();
        for (var i = 0; i < script.Count; i++)
        {
            if (script[i].Op == Op.Equal)
            {
                continue;
            }

            var start = Math.Max(0, i - Context);
            var end = i;
            while (end < script.Count)
            {
                if (script[end].Op != Op.Equal)
                {
                    end++;
                    continue;
                }

                var run = end;
                while (run < script.Count && script[run].Op == Op.Equal)
                {
                    run++;
                }

                if (run < script.Count && run - end <= 2 * Context)
                {
                    end = run; // the next change is close: one hunk
                    continue;
                }

                end = Math.Min(end + Context, script.Count);
                break;
            }

            if (hunks.Count > 0 && start <= hunks[^1].End)
            {
                start = hunks[^1].Start;
                hunks.RemoveAt(hunks.Count - 1);
            }

            hunks.Add((start, end));
            i = end - 1;
        }

        return hunks;
    }

    /// <summary>The edit script: every line of both texts once, as (op, index in a, index in b).</summary>
    private static List<(Op Op, int A, int B)> Script(string[] a, string[] b)
    {
        // Lines as numbers: comparisons in the search are then integer compares.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var x = Array.ConvertAll(a, line => ids.TryGetValue(line, out var id) ? id : ids[line] = ids.Count);
        var y = Array.ConvertAll(b, line => ids.TryGetValue(line, out var id) ? id : ids[line] = ids.Count);

        var head = 0;
        while (head < x.Length && head < y.Length && x[head] == y[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < x.Length - head && tail < y.Length - head && x[x.Length - 1 - tail] == y[y.Length - 1 - tail])
        {
            tail++;
        }

        var script = new List<(Op, int, int)>(a.Length + b.Length);
        for (var i = 0; i < head; i++)
        {
            script.Add((Op.Equal, i, i));
        }

        Middle(x.AsSpan(head, x.Length - head - tail), y.AsSpan(head, y.Length - head - tail), head, head, script);
        for (var i = tail; i > 0; i--)
        {
            script.Add((Op.Equal, x.Length - i, y.Length - i));
        }

        return script;
    }

    private static void Middle(ReadOnlySpan<int> a, ReadOnlySpan<int> b, int offsetA, int offsetB, List<(Op, int, int)> script)
    {
        int n = a.Length, m = b.Length;
        var max = Math.Min(n + m, MaxEdits);
        var v = new int[2 * max + 2];
        var trace = new List<int[]>();
        var found = -1;
        for (var d = 0; d <= max && found < 0; d++)
        {
            trace.Add((int[])v.Clone());
            for (var k = -d; k <= d; k += 2)
            {
                var down = k == -d || (k != d && v[max + k - 1] < v[max + k + 1]);
                var px = down ? v[max + k + 1] : v[max + k - 1] + 1;
                var py = px - k;
                while (px < n && py < m && a[px] == b[py])
                {
                    px++;
                    py++;
                }

                v[max + k] = px;
                if (px >= n && py >= m)
                {
                    found = d;
                    break;
                }
            }
        }

        if (found < 0)
        {
            // Too different to search further: all of the middle out, all of it in.
            for (var i = 0; i < n; i++)
            {
                script.Add((Op.Delete, offsetA + i, offsetB));
            }

            for (var j = 0; j < m; j++)
            {
                script.Add((Op.Insert, offsetA + n, offsetB + j));
            }

            return;
        }

        // Walk back through the trace from (n, m), collecting the moves in reverse.
        var moves = new List<(Op, int, int)>();
        int cx = n, cy = m;
        for (var d = found; d > 0; d--)
        {
            var previous = trace[d];
            var k = cx - cy;
            var down = k == -d || (k != d && previous[max + k - 1] < previous[max + k + 1]);
            var prevK = down ? k + 1 : k - 1;
            var prevX = previous[max + prevK];
            var prevY = prevX - prevK;
            while (cx > prevX + (down ? 0 : 1) && cy > prevY + (down ? 1 : 0))
            {
                cx--;
                cy--;
                moves.Add((Op.Equal, offsetA + cx, offsetB + cy));
            }

            if (down)
            {
                cy--;
                moves.Add((Op.Insert, offsetA + cx, offsetB + cy));
            }
            else
            {
                cx--;
                moves.Add((Op.Delete, offsetA + cx, offsetB + cy));
            }
        }

        while (cx > 0 && cy > 0)
        {
            cx--;
            cy--;
            moves.Add((Op.Equal, offsetA + cx, offsetB + cy));
        }

        moves.Reverse();
        script.AddRange(moves);
    }
}
