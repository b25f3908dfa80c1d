using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Coditect.Server.Tests.Infrastructure;

/// <summary>Signs in to the web console through its form, as a browser would, for tests of console routes.</summary>
public static partial class ConsoleSessions
{
    /// <summary>A client of <paramref name="node"/> that carries a console session cookie; it does not follow redirects.</summary>
    public static async Task<HttpClient> SignInToConsoleAsync(this WebApplicationFactory<Program> node, string email, string password)
    {
        var http = node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var form = await http.GetStringAsync("/signin");
        var input = AntiforgeryInput().Match(form);
        input.Success.ShouldBeTrue("the sign-in form carries an antiforgery field");
        var token = InputValue().Match(input.Value);
        var response = await http.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["email"] = email,
            ["password"] = password,
            ["__csrf"] = WebUtility.HtmlDecode(token.Groups[1].Value),
        }));
        response.StatusCode.ShouldBe(HttpStatusCode.Redirect, await response.Content.ReadAsStringAsync());
        return http;
    }

    [GeneratedRegex("<input[^>]*name=\"__csrf\"[^>]*>")]
    private static partial Regex AntiforgeryInput();

    [GeneratedRegex("value=\"([^\"]*)\"")]
    private static partial Regex InputValue();
}
