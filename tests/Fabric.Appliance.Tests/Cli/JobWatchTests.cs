using System.Net;
using System.Text;
using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Cli;

namespace Fabric.Appliance.Tests.Cli;

/// <summary><c>fabric job watch</c> when the event stream ends before the job does (an appliance restart, a proxy
/// cutting the connection): it asks for the job again and follows it to its end.</summary>
public sealed class JobWatchTests
{
    /// <summary>Answers from a script of responses per path, in order; the last one repeats.</summary>
    private sealed class ScriptedHandler(Dictionary<string, Queue<Func<HttpResponseMessage>>> script) : HttpMessageHandler
    {
        public List<string> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.PathAndQuery;
            Requests.Add(path);
            var queue = script[path];
            var next = queue.Count > 1 ? queue.Dequeue() : queue.Peek();
            return Task.FromResult(next());
        }
    }

    private static JobDto Job(string state, long done) => new()
    {
        Id = 7,
        Kind = "wait",
        Node = "n1",
        State = state,
        Actor = "admin",
        Progress = new JobProgressDto(done, 10, "seconds"),
        Error = state == "failed" ? "disk full" : null,
    };

    private static Func<HttpResponseMessage> Json(JobDto job) => () => new HttpResponseMessage(HttpStatusCode.OK)
    {
        Content = new StringContent(JsonSerializer.Serialize(job, FabricJson.Options), Encoding.UTF8, "application/json"),
    };

    private static Func<HttpResponseMessage> Events(params (string Name, object Data)[] events) => () =>
    {
        var text = new StringBuilder(": keep-alive\n\n");
        foreach (var (name, data) in events)
        {
            text.Append($"event: {name}\ndata: {JsonSerializer.Serialize(data, FabricJson.Options)}\n\n");
        }

        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(text.ToString(), Encoding.UTF8, "text/event-stream") };
    };

    private static async Task<(int Code, string Out, string Err, ScriptedHandler Handler)> WatchAsync(Dictionary<string, Queue<Func<HttpResponseMessage>>> script)
    {
        var handler = new ScriptedHandler(script);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => name == "FABRIC_URL" ? "http://127.0.0.1:9" : null, Path.GetTempPath(), handler);
        int code = await CliApp.RunAsync(["job", "watch", "7"], environment);
        return (code, output.ToString(), error.ToString(), handler);
    }

    [Fact]
    public async Task Watch_StreamEndsEarly_AsksAgainAndFollowsToTheEnd()
    {
        var result = await WatchAsync(new()
        {
            ["/api/v1/jobs/7"] = new([Json(Job("running", 3)), Json(Job("running", 6))]),
            ["/api/v1/jobs/7/events"] = new(
            [
                Events(("progress", new JobProgressDto(4, 10, "seconds"))),
                Events(("log", new JobLogLineDto(null, DateTimeOffset.UnixEpoch, "almost")), ("state", Job("succeeded", 10))),
            ]),
        });

        Assert.Equal((0, ""), (result.Code, result.Err));
        Assert.Equal(
            "job 7 running: wait on n1, attempt 1\nprogress 4/10 seconds (40%)\nlog almost\njob 7 succeeded\n",
            result.Out);
        Assert.Equal(["/api/v1/jobs/7", "/api/v1/jobs/7/events", "/api/v1/jobs/7", "/api/v1/jobs/7/events"], result.Handler.Requests);
    }

    [Fact]
    public async Task Watch_JobFailsWhileDisconnected_Exit1WithItsError()
    {
        var result = await WatchAsync(new()
        {
            ["/api/v1/jobs/7"] = new([Json(Job("running", 3)), Json(Job("failed", 5))]),
            ["/api/v1/jobs/7/events"] = new([Events()]),
        });

        Assert.Equal((1, "error: job 7 failed: disk full\n"), (result.Code, result.Err));
    }
}
