using System.Text;
using System.Text.Json;
using Coditect.Server.DevContext.Search;
using Coditect.Server.DevContext.WorkSessions;

namespace Coditect.Server.Tests.DevContext.WorkSessions;

/// <summary>The content hash (RFC 8785 canonical JSON) and the search grammar, without a database.</summary>
public sealed class ContentHashTests
{
    [Fact]
    public void The_canonical_form_sorts_members_and_hashes_its_utf8_as_an_independent_jcs_does()
    {
        using var input = JsonDocument.Parse("""{"z":1,"command":"ls -la","a":[true,null,"x"]}""");
        Block[] blocks =
        [
            new("text", Text: "Hello, wörld \"q\"\n"),
            new("tool_use", Name: "Bash", Input: input.RootElement.Clone()),
            new("tool_result", Content: "ok"),
        ];

        var canonical = ContentHash.Canonical(blocks);

        // Python: json.dumps(b, sort_keys=True, separators=(',', ':'), ensure_ascii=False), which agrees with JCS here.
        canonical.ShouldBe("""{"blocks":[{"text":"Hello, wörld \"q\"\n","type":"text"},{"input":{"a":[true,null,"x"],"command":"ls -la","z":1},"name":"Bash","type":"tool_use"},{"content":"ok","is_error":false,"type":"tool_result"}]}""");
        ContentHash.Of(canonical).ShouldBe(("be60a978bffe77d81d17574ddb50e5af97f2987e734924fc1f412a31807bbb2d", 203));
        ContentHash.Parse(canonical).Select(b => b.Type).ShouldBe(["text", "tool_use", "tool_result"]);
        ContentHash.Canonical(ContentHash.Parse(canonical)).ShouldBe(canonical, "stored content reads back to the same hash");
    }

    [Theory]
    [InlineData("0", "0")]
    [InlineData("-0", "0")]
    [InlineData("1", "1")]
    [InlineData("1.0", "1")]
    [InlineData("-1.5", "-1.5")]
    [InlineData("123456789012345680000", "123456789012345680000")]
    [InlineData("1e21", "1e+21")]
    [InlineData("1.5e300", "1.5e+300")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("1e-7", "1e-7")]
    [InlineData("4.5e-7", "4.5e-7")]
    [InlineData("0.1", "0.1")]
    [InlineData("1e16", "10000000000000000")]
    [InlineData("9007199254740993", "9007199254740992")]
    public void Numbers_print_as_ecmascript_prints_them(string json, string expected)
    {
        using var document = JsonDocument.Parse(json);
        var text = new StringBuilder();
        ContentHash.WriteValue(text, document.RootElement);
        text.ToString().ShouldBe(expected);
    }

    [Fact]
    public void Strings_escape_only_quotes_backslashes_and_controls_and_members_sort_by_utf16_units()
    {
        using var document = JsonDocument.Parse("{\"\\u00e9\":1,\"b\":\"\\u0001\\t\\u2028/\",\"\\ud83d\\ude00\":2,\"\\uffff\":3}");
        var text = new StringBuilder();
        ContentHash.WriteValue(text, document.RootElement);
        text.ToString().ShouldBe("{\"b\":\"\\u0001\\t\u2028/\",\"é\":1,\"\ud83d\ude00\":2,\"\uffff\":3}");
    }

    [Fact]
    public void Ids_role_and_usage_do_not_change_the_hash_but_every_block_member_does()
    {
        var text = PreparedMessage.Of("user", [new Block("text", Text: "same words")], DateTime.UtcNow, externalId: "a");
        var again = PreparedMessage.Of("assistant", [new Block("text", Text: "same words")], DateTime.UtcNow.AddDays(-3), "model-x", new(1, 2, 3, 4), "b");
        var thinking = PreparedMessage.Of("user", [new Block("thinking", Text: "same words")], DateTime.UtcNow);
        var error = PreparedMessage.Of("tool", [new Block("tool_result", Content: "same words", IsError: true)], DateTime.UtcNow);
        var ok = PreparedMessage.Of("tool", [new Block("tool_result", Content: "same words")], DateTime.UtcNow);

        again.Hash.ShouldBe(text.Hash);
        new[] { text.Hash, thinking.Hash, error.Hash, ok.Hash }.Distinct().Count().ShouldBe(4);
        text.Hash.ShouldMatch("^[0-9a-f]{64}$");
    }

    [Fact]
    public void The_query_grammar_reads_words_phrases_exclusions_and_prefixes()
    {
        var (query, error) = SearchQuery.Parse("deploy \"Release Notes\" -staging conf* Config.cs -\"dry run\"");
        error.ShouldBeNull();
        query!.Terms.Select(t => $"{(t.Excluded ? "-" : "")}{string.Join(' ', t.Tokens)}{(t.Prefix ? "*" : "")}")
            .ShouldBe(["deploy", "release notes", "-staging", "conf*", "config cs", "-dry run"]);

        query.ToTsQuery(thinking: false, tools: false).ShouldBe(
            "'deploy':A & ('release':A <-> 'notes':A) & !'staging':A & 'conf':*A & ('config':A <-> 'cs':A) & !('dry':A <-> 'run':A)");
        query.ToTsQuery(thinking: true, tools: true).ShouldStartWith("'deploy':ABC & ");
        query.ToFts5(thinking: false, tools: true).ShouldBe(
            "{body tools} : (\"deploy\" AND \"release notes\" AND \"conf\"* AND \"config cs\" NOT \"staging\" NOT \"dry run\")");
    }

    [Theory]
    [InlineData("-only -excluded")]
    [InlineData("   ")]
    [InlineData("--- ...")]
    public void A_query_without_a_wanted_word_is_refused(string q) =>
        SearchQuery.Parse(q).Error.ShouldNotBeNull();

    [Fact]
    public void Text_is_normalized_the_same_for_both_databases_and_snippets_mark_matches()
    {
        SearchText.Normalize("Café_Déjà-vu https://x.io/a?b=1 v1.2.3 ÅNGSTRÖM").ShouldBe("cafe deja vu https x io a b 1 v1 2 3 angstrom");

        var (query, _) = SearchQuery.Parse("deja \"x io\" ang*");
        var snippet = SearchText.Snippet("Before <b>Déjà</b> vu, see https://x.io/ and Ångström.", query!);
        snippet.ShouldBe("Before &lt;b&gt;<mark>Déjà</mark>&lt;/b&gt; vu, see https://<mark>x</mark>.<mark>io</mark>/ and <mark>Ångström</mark>.");
        SearchText.Snippet("nothing here", query!).ShouldBeNull();
    }
}
