using System.Net;
using System.Net.Http.Json;
using Fabric.Api.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Appliance.Tests.Api;

/// <summary>The jobs API on a real appliance, with jobs of the built-in <c>wait</c> kind on a fake clock.</summary>
public sealed class JobsApiTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<TimeProvider>(_time));
        _admin = _host.AdminClient();
        await _host.AddNodeAsync(new { name = "n1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });
        await _host.AddNodeAsync(new { name = "n2", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.1" });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private async Task<JobDto> StartWaitAsync(string? node, int seconds, int steps = 1)
    {
        var response = await _admin.PostAsJsonAsync("/api/v1/jobs", new
        {
            kind = "wait",
            node,
            arguments = new Dictionary<string, string> { ["seconds"] = $"{seconds}", ["steps"] = $"{steps}" },
        });
        Assert.True(HttpStatusCode.Accepted == response.StatusCode, await response.Content.ReadAsStringAsync());
        var job = (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
        Assert.Equal($"/api/v1/jobs/{job.Id}", response.Headers.Location?.ToString());
        return job;
    }

    private async Task<JobDto> GetAsync(long id) => (await _host.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{id}", FabricJson.Options))!;

    private async Task<JobDto> WaitForAsync(long id, Func<JobDto, bool> condition, bool tick = false)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var job = await GetAsync(id);
            if (condition(job))
            {
                return job;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} is still {job.State}");
            if (tick)
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Events_WaitJob_StepProgressLogThenFinalStateAndStreamEnds()
    {
        var job = await StartWaitAsync("n1", seconds: 3, steps: 2);
        Assert.Equal(("queued", "admin", "n1", 1), (job.State, job.Actor, job.Node, job.Attempt));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stream = SseReader.ReadAllAsync(_host.Client, $"/api/v1/jobs/{job.Id}/events", timeout.Token);

        while (!stream.IsCompleted && !timeout.IsCancellationRequested)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        var events = await stream;
        Assert.Equal("state", events[^1].Name);
        var final = events[^1].As<JobDto>();
        Assert.Equal(("succeeded", job.Id), (final.State, final.Id));
        Assert.Single(events, e => e.Name == "state");
        var progresses = events.Where(e => e.Name == "progress").Select(e => e.As<JobProgressDto>()).ToList();
        Assert.All(progresses.Zip(progresses.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        var steps = events.Where(e => e.Name == "step").Select(e => e.As<JobStepDto>().Name).Distinct().ToList();
        Assert.Contains("wait 2/2", steps);
        Assert.Contains(events, e => e.Name == "progress" && e.As<JobProgressDto>() is { Done: 3, Total: 3, Unit: "seconds" });
        Assert.Contains(events, e => e.Name == "log" && e.As<JobLogLineDto>().Line == "step 2/2 done: waited 3 of 3 s");

        var shown = await GetAsync(job.Id);
        Assert.Equal(["wait 1/2", "wait 2/2"], shown.Steps.Select(s => s.Name));
        Assert.All(shown.Steps, s => Assert.Equal("succeeded", s.State));
        Assert.Equal(new JobProgressDto(3, 3, "seconds"), shown.Progress);
        Assert.Equal(["step 1/2 done: waited 1 of 3 s", "step 2/2 done: waited 3 of 3 s"], shown.Log!.Select(l => l.Line));
        Assert.NotNull(shown.FinishedAt);
    }

    [Fact]
    public async Task Metrics_AfterJobs_FinishedByKindAndStateAndRunning()
    {
        var done = await StartWaitAsync(null, seconds: 0);
        await WaitForAsync(done.Id, j => j.State == "succeeded");
        var running = await StartWaitAsync("n1", seconds: 3600);
        await WaitForAsync(running.Id, j => j.State == "running");

        var text = await _host.Client.GetStringAsync("/metrics");

        Assert.True(text.Contains("fabric_jobs_finished_total{kind=\"wait\",state=\"succeeded\"} 1\n", StringComparison.Ordinal), text);
        Assert.Contains("fabric_jobs_running 1\n", text, StringComparison.Ordinal);
        Assert.Contains("fabric_jobs_duration_count{kind=\"wait\"} 1\n", text, StringComparison.Ordinal);
        await _admin.PostAsync($"/api/v1/jobs/{running.Id}/cancel", null);
    }

    [Fact]
    public async Task Events_FinishedJob_FinalStateAtOnce()
    {
        var job = await StartWaitAsync(null, seconds: 0);
        await WaitForAsync(job.Id, j => j.State == "succeeded");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var events = await SseReader.ReadAllAsync(_host.Client, $"/api/v1/jobs/{job.Id}/events", timeout.Token);

        var only = Assert.Single(events);
        Assert.Equal(("state", "succeeded"), (only.Name, only.As<JobDto>().State));
    }

    [Fact]
    public async Task CancelRetry_RunningThenCancelledThenRetried_SameIdAttemptTwo()
    {
        var job = await StartWaitAsync("n1", seconds: 3600);
        await WaitForAsync(job.Id, j => j.State == "running" && j.Progress is not null);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stream = SseReader.ReadAllAsync(_host.Client, $"/api/v1/jobs/{job.Id}/events", timeout.Token);
        var retryRunning = await _admin.PostAsync($"/api/v1/jobs/{job.Id}/retry", null);
        await ProblemAssert.IsProblemAsync(retryRunning, HttpStatusCode.Conflict, "state", "running");

        var cancel = await _admin.PostAsync($"/api/v1/jobs/{job.Id}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.True((await cancel.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!.CancelRequested);
        var events = await stream;
        Assert.Equal("cancelled", events[^1].As<JobDto>().State);

        var again = await _admin.PostAsync($"/api/v1/jobs/{job.Id}/cancel", null);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict, "state", "cancelled");

        var retry = await _admin.PostAsync($"/api/v1/jobs/{job.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var retried = (await retry.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
        Assert.Equal((job.Id, 2, "queued"), (retried.Id, retried.Attempt, retried.State));
        await WaitForAsync(job.Id, j => j.State == "running" && j.Attempt == 2);
        Assert.Equal(HttpStatusCode.Accepted, (await _admin.PostAsync($"/api/v1/jobs/{job.Id}/cancel", null)).StatusCode);
        await WaitForAsync(job.Id, j => j.State == "cancelled");
    }

    [Fact]
    public async Task Cancel_QueuedBehindAnotherOnItsNode_CancelledAtOnce()
    {
        var first = await StartWaitAsync("n1", seconds: 3600);
        var second = await StartWaitAsync("n1", seconds: 1);
        var other = await StartWaitAsync("n2", seconds: 3600);
        await WaitForAsync(first.Id, j => j.State == "running");
        await WaitForAsync(other.Id, j => j.State == "running");
        Assert.Equal("queued", (await GetAsync(second.Id)).State);

        var cancel = await _admin.PostAsync($"/api/v1/jobs/{second.Id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!.State);
        Assert.Null((await GetAsync(second.Id)).StartedAt);
        await _admin.PostAsync($"/api/v1/jobs/{first.Id}/cancel", null);
        await _admin.PostAsync($"/api/v1/jobs/{other.Id}/cancel", null);
        await WaitForAsync(other.Id, j => j.State == "cancelled");
    }

    [Fact]
    public async Task List_NodeAndStateFilters_MatchingJobsNewestFirst()
    {
        var a = await StartWaitAsync("n1", seconds: 3600);
        var b = await StartWaitAsync("n2", seconds: 0);
        await WaitForAsync(b.Id, j => j.State == "succeeded");
        await WaitForAsync(a.Id, j => j.State == "running");

        var all = await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options);
        var n1 = await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs?node=n1", FabricJson.Options);
        var done = await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs?state=succeeded", FabricJson.Options);
        var bad = await _host.Client.GetAsync("/api/v1/jobs?state=done");

        Assert.Equal([b.Id, a.Id], all!.Select(j => j.Id));
        Assert.Equal([a.Id], n1!.Select(j => j.Id));
        Assert.Equal([b.Id], done!.Select(j => j.Id));
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest, "state", "'done' is not a job state");
        await _admin.PostAsync($"/api/v1/jobs/{a.Id}/cancel", null);
    }

    [Fact]
    public async Task Post_BadKindNodeArgumentsOrNoToken_ProblemsAndNothingStored()
    {
        var kind = await _admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "reboot" });
        var node = await _admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "wait", node = "ghost", arguments = new { seconds = "1" } });
        var arguments = await _admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "wait", arguments = new { seconds = "-4", color = "red" } });
        var anonymous = await _host.Client.PostAsJsonAsync("/api/v1/jobs", new { kind = "wait", arguments = new { seconds = "1" } });
        var text = await _admin.PostAsync("/api/v1/jobs", new StringContent("kind=wait"));

        await ProblemAssert.IsProblemAsync(kind, HttpStatusCode.BadRequest, "kind", "no job kind 'reboot'");
        await ProblemAssert.IsProblemAsync(node, HttpStatusCode.BadRequest, "node", "no node named 'ghost'");
        var both = await ProblemAssert.IsProblemAsync(arguments, HttpStatusCode.BadRequest, "arguments.seconds");
        Assert.True(both.GetProperty("errors").TryGetProperty("arguments.color", out _));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, text.StatusCode);
        Assert.Empty((await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options))!);
    }

    [Fact]
    public async Task Post_NumberArgument_TakenAsItsText()
    {
        var response = await _admin.PostAsync("/api/v1/jobs",
            new StringContent("{\"kind\":\"wait\",\"node\":\"N1\",\"arguments\":{\"seconds\":0,\"steps\":1}}", System.Text.Encoding.UTF8, "application/json"));

        Assert.True(HttpStatusCode.Accepted == response.StatusCode, await response.Content.ReadAsStringAsync());
        var job = (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!;
        Assert.Equal("0", job.Arguments["seconds"]);
        Assert.Equal("n1", job.Node);
        await WaitForAsync(job.Id, j => j.State == "succeeded");
        Assert.Equal([job.Id], (await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs?node=N1", FabricJson.Options))!.Select(j => j.Id));
    }

    [Fact]
    public async Task Post_ObjectArgument_400AndNothingStored()
    {
        var response = await _admin.PostAsync("/api/v1/jobs",
            new StringContent("{\"kind\":\"wait\",\"arguments\":{\"seconds\":{\"value\":3}}}", System.Text.Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("argument 'seconds' is not a string, number or boolean", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty((await _host.Client.GetFromJsonAsync<List<JobDto>>("/api/v1/jobs", FabricJson.Options))!);
    }

    [Theory]
    [InlineData("GET", "/api/v1/jobs/999")]
    [InlineData("GET", "/api/v1/jobs/999/events")]
    [InlineData("POST", "/api/v1/jobs/999/cancel")]
    [InlineData("POST", "/api/v1/jobs/999/retry")]
    [InlineData("GET", "/api/v1/jobs/abc")]
    [InlineData("POST", "/api/v1/jobs/abc/retry")]
    public async Task Endpoints_UnknownJob_404NamingTheId(string method, string path)
    {
        var response = await _admin.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound, "id", "no job");
    }

    [Fact]
    public async Task CancelRetry_WithoutToken_401AndJobUntouched()
    {
        var job = await StartWaitAsync("n1", seconds: 3600);
        await WaitForAsync(job.Id, j => j.State == "running");

        var cancel = await _host.Client.PostAsync($"/api/v1/jobs/{job.Id}/cancel", null);

        Assert.Equal(HttpStatusCode.Unauthorized, cancel.StatusCode);
        Assert.Equal("running", (await GetAsync(job.Id)).State);
        await _admin.PostAsync($"/api/v1/jobs/{job.Id}/cancel", null);
    }
}

/// <summary>What happens to jobs when the appliance stops and starts again.</summary>
public sealed class JobsRestartTests
{
    [Fact]
    public async Task Restart_WhileAJobRuns_InterruptedThenRetriedToSuccess()
    {
        var dataDir = Directory.CreateTempSubdirectory("fabric-jobs-restart-").FullName;
        try
        {
            long id;
            // The first appliance's clock never moves, so its job is still running when it stops.
            var stopped = new FakeTimeProvider(DateTimeOffset.UtcNow);
            await using (var first = await ApplianceHost.StartAsync(dataDir: dataDir, services: s => s.AddSingleton<TimeProvider>(stopped)))
            {
                using var admin = first.AdminClient();
                var response = await admin.PostAsJsonAsync("/api/v1/jobs", new { kind = "wait", arguments = new { seconds = "2" } });
                id = (await response.Content.ReadFromJsonAsync<JobDto>(FabricJson.Options))!.Id;
                await Until(first.Client, id, j => j.State == "running");
            }

            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            await using var second = await ApplianceHost.StartAsync(dataDir: dataDir, services: s => s.AddSingleton<TimeProvider>(time));
            var interrupted = await second.Client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{id}", FabricJson.Options);
            Assert.Equal("interrupted", interrupted!.State);
            Assert.Equal("the appliance stopped while the job ran", interrupted.Error);

            using var admin2 = second.AdminClient();
            Assert.Equal(HttpStatusCode.Accepted, (await admin2.PostAsync($"/api/v1/jobs/{id}/retry", null)).StatusCode);
            var done = await Until(second.Client, id, j =>
            {
                time.Advance(TimeSpan.FromSeconds(1));
                return j.State == "succeeded";
            });
            Assert.Equal(2, done.Attempt);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task<JobDto> Until(HttpClient client, long id, Func<JobDto, bool> condition)
    {
        for (int i = 0; i < 3000; i++)
        {
            var job = (await client.GetFromJsonAsync<JobDto>($"/api/v1/jobs/{id}", FabricJson.Options))!;
            if (condition(job))
            {
                return job;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"job {id} never reached the expected state");
    }
}
