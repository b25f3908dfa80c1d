using System.Diagnostics;
using System.Diagnostics.Metrics;
using Coditect.Contracts.Licensing;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Coditect.Server.Licensing.Protocol;

/// <summary>
/// What the lease protocol answered and how long it took, per operation:
/// <list type="bullet">
/// <item><c>coditect.lease.requests</c> (counter; Prometheus <c>coditect_lease_requests_total</c>), tags
/// <c>operation</c> (<c>acquire</c>, <c>heartbeat</c>, <c>release</c>, <c>validate</c>) and <c>code</c>: the problem
/// code of a refusal (<c>NO_SEATS_AVAILABLE</c>, <c>SESSION_EXPIRED</c>, <c>RATE_LIMITED</c>, ...), <c>ACQUIRED</c> /
/// <c>RENEWED</c> for a granted acquire, <c>OK</c> for a heartbeat or release, the answer's code for validate
/// (<c>VALID</c>, <c>HEARTBEAT_DEAD</c>, ...), <c>INTERNAL_ERROR</c> for an exception
/// (<c>CANCELLED</c> when the caller went away first).</item>
/// <item><c>coditect.lease.duration</c> (histogram, seconds; <c>coditect_lease_duration_seconds</c>), tags
/// <c>operation</c> and <c>outcome</c> (<c>ok</c>, <c>refused</c>, <c>error</c>): the handler from its first line to its
/// answer (validation, rate limits, the ledger, signing), so a fast refusal does not hide a slow grant.</item>
/// </list>
/// Both are recorded by an endpoint filter, so the handlers stay as they are. A body the JSON binder refuses never
/// reaches the filter: it is counted by ASP.NET Core's <c>http.server.request.duration</c> (status 400) only.
/// </summary>
public sealed class LeaseMetrics
{
    public const string MeterName = "Coditect.Licensing";

    /// <summary>Heartbeats answered from Redis take well under a millisecond; a slow PostgreSQL acquire, seconds.</summary>
    private static readonly double[] Buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;

    public LeaseMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("coditect.lease.requests", "{request}", "Lease protocol answers by operation and code");
        _duration = meter.CreateHistogram<double>("coditect.lease.duration", "s", "Lease protocol handler duration",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = Buckets });
    }

    public void Record(string operation, string code, string outcome, TimeSpan elapsed)
    {
        _requests.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("code", code));
        _duration.Record(elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));
    }

    /// <summary>The code and outcome of a handler's answer.</summary>
    internal static (string Code, string Outcome) Classify(object? answer)
    {
        var result = answer is INestedHttpResult nested ? nested.Result : answer;
        return result switch
        {
            ProblemHttpResult problem => (problem.ProblemDetails.Extensions.TryGetValue("code", out var code) && code is string text
                ? text : $"HTTP_{problem.StatusCode}", problem.StatusCode >= 500 ? "error" : "refused"),
            Created<AcquireResponse> => ("ACQUIRED", "ok"),
            Ok<AcquireResponse> => ("RENEWED", "ok"),
            Ok<ValidateResponse> { Value: { } validated } => (validated.Code, "ok"),
            _ => ("OK", "ok"),
        };
    }
}

public static class LeaseMetricsFilter
{
    /// <summary>Counts and times every answer of this endpoint as <paramref name="operation"/>.</summary>
    public static RouteHandlerBuilder WithLeaseMetrics(this RouteHandlerBuilder endpoint, string operation) =>
        endpoint.AddEndpointFilter(async (context, next) =>
        {
            var metrics = context.HttpContext.RequestServices.GetRequiredService<LeaseMetrics>();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var answer = await next(context);
                var (code, outcome) = LeaseMetrics.Classify(answer);
                metrics.Record(operation, code, outcome, Stopwatch.GetElapsedTime(started));
                return answer;
            }
            catch (Exception e)
            {
                var cancelled = e is OperationCanceledException && context.HttpContext.RequestAborted.IsCancellationRequested;
                metrics.Record(operation, cancelled ? "CANCELLED" : "INTERNAL_ERROR", "error", Stopwatch.GetElapsedTime(started));
                throw;
            }
        });
}
