using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coditect.Contracts.DevContext;

namespace Coditect.Bench;

/// <summary>
/// One message content as the bench made it: the blocks it sends (<c>Text</c> alone or <c>Blocks</c>), the canonical
/// JSON and SHA-256 the server will compute (RFC 8785 over <c>{"blocks":[...]}</c>, as docs/devcontext.md documents),
/// the <c>tsvector</c> literal the server's insert computes (text tokens weight A, tool calls and results weight C,
/// shifted past the text's positions as <c>||</c> does), and the vocabulary words of its text (search expectations).
/// </summary>
internal sealed record BenchContent(
    long Id, string? Text, IReadOnlyList<ContentBlock>? Blocks, string Canonical, string Hash, int Bytes, string TsVector, IReadOnlyList<int> BodyWords);

/// <summary>
/// Seeded, realistic message text for the messages scenario: a vocabulary of 5,000 words (about 300 real words of
/// software work first, then made-up words) drawn with a Zipf distribution (s = 1), so a few words are everywhere and
/// most are rare, as in real text; sentences with file names and identifiers; assistant messages that call a tool
/// (<c>Bash</c> with a command) and tool results. A share of messages (<c>--duplicate-percent</c>) repeats one of
/// 2,000 common contents ("yes, go ahead", a build result), so de-duplication has work to do.
/// </summary>
internal sealed class MessageCorpus
{
    public const int VocabularySize = 5000;
    public const int CommonContents = 2000;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private static readonly string[] RealWords = ("the to and of a in is it that for this with on be as not can we you change test build " +
        "file error code function method class value type return should will if run fix add use need check call update data " +
        "server request query index table database config option first new when but from make see then now also by failing " +
        "migration schema column user session message search result batch import export cache lock timeout retry connection " +
        "transaction commit branch merge review deploy release version package dependency module service endpoint route handler " +
        "controller model view page console log warning exception stack trace null pointer reference async await task thread " +
        "pool memory allocation garbage collector benchmark latency throughput percentile rate limit quota plan billing tenant " +
        "organization member role permission policy token secret key hash content block tool thinking assistant prompt " +
        "context window conversation timeline snippet highlight rank filter project repository sync webhook event outbox " +
        "audit metric trace span health ready startup shutdown signal process container image docker compose volume network " +
        "port socket header body json parse serialize deserialize encode decode utf8 string array list map dictionary set " +
        "queue stack tree graph node edge path folder directory linux windows shell script command argument flag environment " +
        "variable setting default override nullable generic interface record struct enum property field constructor " +
        "dispose stream reader writer buffer span slice copy insert select delete upsert conflict constraint unique foreign " +
        "primary cursor keyset offset page size count sum average minimum maximum sort order group join lateral vector gin " +
        "sqlite postgres redis npgsql entity framework razor kestrel middleware authentication authorization cookie csrf " +
        "password email invite license seat lease heartbeat acquire release expiry grace trial invoice stripe refund")
        .Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static readonly string[] Syllables = ["ka", "lo", "mi", "ra", "to", "ve", "su", "ne", "di", "po", "ga", "le", "ri", "sa", "mo",
        "tu", "be", "ki", "na", "zo", "fe", "hu", "ja", "xi", "co", "de", "pi", "ta", "wu", "yo"];

    private static readonly string[] Commands = ["dotnet build", "dotnet test --filter", "git diff", "git log --oneline", "grep -rn", "cat src", "ls -la", "psql -c"];

    private readonly string[] _words;
    private readonly double[] _cumulative;
    private readonly List<BenchContent> _commonText = [];
    private readonly List<BenchContent> _commonResults = [];
    private readonly Dictionary<string, long> _ids = new(StringComparer.Ordinal);
    private readonly HashSet<long> _used = [];
    private long _nextId;

    public MessageCorpus(long firstContentId)
    {
        _nextId = firstContentId;
        var random = new Random(56);
        var words = new List<string>(RealWords.Distinct());
        var seen = new HashSet<string>(words, StringComparer.Ordinal);
        while (words.Count < VocabularySize)
        {
            var word = string.Concat(Enumerable.Range(0, random.Next(2, 5)).Select(_ => Syllables[random.Next(Syllables.Length)]));
            if (seen.Add(word))
            {
                words.Add(word);
            }
        }

        _words = [.. words];
        _cumulative = new double[_words.Length];
        var total = 0.0;
        for (var i = 0; i < _words.Length; i++)
        {
            total += 1.0 / (i + 1);
            _cumulative[i] = total;
        }

        for (var i = 0; i < _cumulative.Length; i++)
        {
            _cumulative[i] /= total;
        }

        for (var i = 0; i < CommonContents / 2; i++)
        {
            _commonText.Add(TextContent(random, random.Next(2, 10)));
            _commonResults.Add(ResultContent(random, random.Next(3, 12)));
        }
    }

    public string Word(int rank) => _words[rank];

    /// <summary>Distinct contents the messages so far use: the unique contents the server should store.</summary>
    public long UniqueUsed => _used.Count;

    /// <summary>
    /// The content of the message at <paramref name="position"/> of a work session (role by position, fresh or common)
    /// and whether no earlier message used it (a row of the contents table).
    /// </summary>
    public (string Role, BenchContent Content, bool FirstUse) Next(Random random, int position, int duplicatePercent)
    {
        var (role, content) = Pick(random, position, duplicatePercent);
        return (role, content, _used.Add(content.Id));
    }

    private (string Role, BenchContent Content) Pick(Random random, int position, int duplicatePercent)
    {
        var role = (position % 4) switch { 0 => "user", 2 => "tool", _ => "assistant" };
        var common = random.Next(100) < duplicatePercent;
        if (role == "tool")
        {
            return (role, common ? _commonResults[random.Next(_commonResults.Count)] : ResultContent(random, random.Next(6, 30)));
        }

        if (common)
        {
            return (role, _commonText[random.Next(_commonText.Count)]);
        }

        return role == "user" ? (role, TextContent(random, random.Next(6, 30)))
            : random.Next(2) == 0 ? (role, ToolCallContent(random)) : (role, TextContent(random, random.Next(20, 80)));
    }

    private int Sample(Random random)
    {
        var index = Array.BinarySearch(_cumulative, random.NextDouble());
        return Math.Min(_words.Length - 1, index < 0 ? ~index : index);
    }

    /// <summary>Sentences of vocabulary words, now and then a file name; appends the words and their tokens.</summary>
    private string Prose(Random random, int count, List<string> tokens, List<int>? words)
    {
        var text = new StringBuilder(count * 8);
        var inSentence = 0;
        for (var i = 0; i < count; i++)
        {
            if (inSentence > 0)
            {
                text.Append(' ');
            }

            if (random.Next(25) == 0)
            {
                var module = random.Next(1, 60).ToString(Invariant);
                var fileRank = random.Next(100);
                var file = _words[fileRank];
                text.Append("src/Module").Append(module).Append('/').Append(char.ToUpperInvariant(file[0])).Append(file.AsSpan(1)).Append(".cs");
                tokens.AddRange(["src", "module" + module, file, "cs"]);
                words?.Add(fileRank);
            }
            else
            {
                var rank = Sample(random);
                var word = _words[rank];
                if (inSentence == 0)
                {
                    text.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
                }
                else
                {
                    text.Append(word);
                }

                tokens.Add(word);
                words?.Add(rank);
            }

            if (++inSentence >= 6 + random.Next(9) || i == count - 1)
            {
                text.Append(random.Next(6) == 0 ? ".\n\n" : ". ");
                inSentence = 0;
            }
        }

        return text.ToString().TrimEnd();
    }

    private BenchContent TextContent(Random random, int count)
    {
        var tokens = new List<string>();
        var words = new List<int>();
        var text = Prose(random, count, tokens, words);
        var canonical = $"{{\"blocks\":[{{\"text\":{Json(text)},\"type\":\"text\"}}]}}";
        return Make(text, null, canonical, tokens, [], words);
    }

    private BenchContent ToolCallContent(Random random)
    {
        var tokens = new List<string>();
        var words = new List<int>();
        var text = Prose(random, random.Next(8, 40), tokens, words);
        var command = Commands[random.Next(Commands.Length)] + " " + _words[random.Next(200)];
        var input = JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["command"] = command });
        ContentBlock[] blocks = [new ContentBlock("text", Text: text), new ContentBlock("tool_use", Name: "Bash", Input: input)];
        var canonical = $"{{\"blocks\":[{{\"text\":{Json(text)},\"type\":\"text\"}},{{\"input\":{{\"command\":{Json(command)}}},\"name\":\"Bash\",\"type\":\"tool_use\"}}]}}";
        return Make(null, blocks, canonical, tokens, ["bash", "command", .. Tokens(command)], words);
    }

    private BenchContent ResultContent(Random random, int count)
    {
        var tokens = new List<string>();
        var output = random.Next(3) == 0
            ? $"Build succeeded. {random.Next(0, 9)} warning(s), 0 error(s). Time elapsed {random.Next(1, 90)}.{random.Next(10, 99)} s"
            : Prose(random, count, tokens, null);
        var isError = random.Next(8) == 0;
        ContentBlock[] blocks = [new ContentBlock("tool_result", Content: output, IsError: isError)];
        var canonical = $"{{\"blocks\":[{{\"content\":{Json(output)},\"is_error\":{(isError ? "true" : "false")},\"type\":\"tool_result\"}}]}}";
        return Make(null, blocks, canonical, [], Tokens(output), []);
    }

    private BenchContent Make(string? text, IReadOnlyList<ContentBlock>? blocks, string canonical, List<string> body, List<string> tools, List<int> words)
    {
        var utf8 = Encoding.UTF8.GetBytes(canonical);
        var hash = Convert.ToHexStringLower(SHA256.HashData(utf8));
        // The same words made twice (a short build result) are one content, as on the server.
        if (!_ids.TryGetValue(hash, out var id))
        {
            _ids[hash] = id = _nextId++;
        }

        return new BenchContent(id, text, blocks, canonical, hash, utf8.Length, TsVector(body, tools), [.. words.Distinct()]);
    }

    /// <summary>The server's tokens (runs of letters and digits, lower-cased) of ASCII text.</summary>
    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var alnum = i < text.Length && char.IsAsciiLetterOrDigit(text[i]);
            if (alnum && start < 0)
            {
                start = i;
            }
            else if (!alnum && start >= 0)
            {
                tokens.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }
        }

        return tokens;
    }

    /// <summary>
    /// <c>setweight(to_tsvector('simple', body), 'A') || setweight(to_tsvector('simple', tools), 'C')</c> as a literal:
    /// positions from 1, the right operand's shifted by the left's largest position.
    /// </summary>
    private static string TsVector(List<string> body, List<string> tools)
    {
        var positions = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(List<string> tokens, int shift, char weight)
        {
            for (var i = 0; i < tokens.Count; i++)
            {
                var position = Math.Min(16383, shift + i + 1);
                if (!positions.TryGetValue(tokens[i], out var list))
                {
                    positions[tokens[i]] = list = [];
                }

                if (list.Count < 256)
                {
                    list.Add(position.ToString(Invariant) + weight);
                }
            }
        }

        Add(body, 0, 'A');
        Add(tools, Math.Min(16383, body.Count), 'C');
        return string.Join(' ', positions.Select(p => $"'{p.Key}':{string.Join(',', p.Value)}"));
    }

    /// <summary>A JSON string with JCS's (ECMAScript's) minimal escapes.</summary>
    private static string Json(string value)
    {
        var json = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case < ' ': json.Append("\\u").Append(((int)c).ToString("x4", Invariant)); break;
                default: json.Append(c); break;
            }
        }

        return json.Append('"').ToString();
    }
}
