using System.Text.Json;
using Fabric.Appliance.Tests.Api;
using Fabric.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Appliance.Tests.Cli;

/// <summary><c>fabric job ...</c> against a real appliance (127.0.0.1, port 0) whose clock the test moves.</summary>
public sealed class JobCliTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private ApplianceHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(services: s => s.AddSingleton<TimeProvider>(_time));
        await _host.AddNodeAsync(new { name = "n1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var variables = new Dictionary<string, string?> { ["FABRIC_URL"] = _host.BaseAddress.ToString(), ["FABRIC_TOKEN"] = _host.AdminToken };
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CliEnvironment(output, error, name => variables.TryGetValue(name, out var value) ? value : null, Path.GetTempPath());
        int code = await CliApp.RunAsync(args, environment);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs a command that waits on a job while the clock ticks a second at a time.</summary>
    private async Task<(int Code, string Out, string Err)> RunTickingAsync(params string[] args)
    {
        var run = RunAsync(args);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!run.IsCompleted && DateTime.UtcNow < deadline)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(50);
        }

        Assert.True(run.IsCompleted, $"'fabric {string.Join(' ', args)}' did not end");
        return await run;
    }

    private async Task<string> StateAsync(string id)
    {
        var show = await RunAsync("job", "show", id, "-o", "json");
        return JsonDocument.Parse(show.Out).RootElement.GetProperty("state").GetString()!;
    }

    private async Task UntilStateAsync(string id, string state)
    {
        for (int i = 0; i < 3000 && await StateAsync(id) != state; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(state, await StateAsync(id));
    }

    [Fact]
    public async Task StartWait_WithWait_PlainLinesAndExit0()
    {
        var result = await RunTickingAsync("job", "start", "wait", "--node", "n1", "--arg", "seconds=2", "--arg", "steps=2", "--wait");

        Assert.Equal((0, ""), (result.Code, result.Err));
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("job 1 queued: wait on n1", lines[0]);
        Assert.Contains("step wait 2/2", lines);
        Assert.Contains("progress 2/2 seconds (100%)", lines);
        Assert.Contains("log step 2/2 done: waited 2 of 2 s", lines);
        Assert.Matches("^job 1 succeeded in [0-9.]+ s$", lines[^1]);
    }

    [Fact]
    public async Task ListShow_AfterAJob_TableFieldsStepsAndLog()
    {
        Assert.Equal(0, (await RunTickingAsync("job", "start", "wait", "-n", "n1", "-a", "seconds=1", "--wait")).Code);
        Assert.Equal(0, (await RunAsync("job", "start", "wait", "-a", "seconds=3600")).Code);
        await UntilStateAsync("2", "running");

        var list = (await RunAsync("job", "list")).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var json = JsonDocument.Parse((await RunAsync("job", "list", "--node", "n1", "--state", "succeeded", "-o", "json")).Out).RootElement;
        var show = await RunAsync("job", "show", "1");

        Assert.Matches("^ID +KIND +NODE +STATE +ATTEMPT +STEP +PROGRESS +CREATED$", list[0]);
        Assert.Matches("^2 +wait +- +running +1 +wait 1/1 +0/3600 seconds \\(0%\\) +2026-12-01", list[1]);
        Assert.Matches("^1 +wait +n1 +succeeded +1 +wait 1/1 +1/1 seconds \\(100%\\)", list[2]);
        Assert.Equal(1, Assert.Single(json.EnumerateArray()).GetProperty("id").GetInt64());
        Assert.Equal(0, show.Code);
        Assert.Matches("(?m)^state: +succeeded$", show.Out);
        Assert.Matches("(?m)^arguments: +seconds=1$", show.Out);
        Assert.Matches("(?m)^wait 1/1 +succeeded ", show.Out);
        Assert.Contains("step 1/1 done: waited 1 of 1 s", show.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync("job", "cancel", "2")).Code);
    }

    [Fact]
    public async Task WatchCancelRetry_RunningJob_WatchExits1AndRetryRunsAgain()
    {
        Assert.Equal("job 1 queued: wait on n1\n", (await RunAsync("job", "start", "wait", "-n", "n1", "-a", "seconds=3600")).Out);
        await UntilStateAsync("1", "running");

        var watch = RunAsync("job", "watch", "1");
        await Task.Delay(200);
        var cancel = await RunAsync("job", "cancel", "1", "--wait");
        var watched = await watch.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal((0, "job 1 is stopping\njob 1 cancelled\n"), (cancel.Code, cancel.Out));
        Assert.Equal(1, watched.Code);
        Assert.StartsWith("job 1 running: wait on n1, attempt 1\n", watched.Out, StringComparison.Ordinal);
        Assert.Equal("error: job 1 cancelled\n", watched.Err);

        var again = await RunAsync("job", "cancel", "1");
        Assert.Equal(1, again.Code);
        Assert.Equal("error: state: job 1 is cancelled; only queued or running jobs are cancelled (409)\n", again.Err);

        var retry = await RunAsync("job", "retry", "1");
        Assert.Equal((0, "job 1 queued: wait on n1\n"), (retry.Code, retry.Out));
        await UntilStateAsync("1", "running");
        Assert.Equal(2, JsonDocument.Parse((await RunAsync("job", "show", "1", "-o", "json")).Out).RootElement.GetProperty("attempt").GetInt32());
        Assert.Equal(0, (await RunAsync("job", "cancel", "1")).Code);
    }

    [Fact]
    public async Task Watch_FinishedFailedJob_Exit1AtOnce()
    {
        Assert.Equal(0, (await RunAsync("job", "start", "wait", "-a", "seconds=3600")).Code);
        await UntilStateAsync("1", "running");
        Assert.Equal(0, (await RunAsync("job", "cancel", "1", "--wait")).Code);

        var watch = await RunAsync("job", "watch", "1");

        Assert.Equal((1, "error: job 1 cancelled\n"), (watch.Code, watch.Err));
    }

    [Fact]
    public async Task Errors_BadInput_OneLineAndNonZeroExit()
    {
        var unknown = await RunAsync("job", "show", "99");
        var badArg = await RunAsync("job", "start", "wait", "--arg", "seconds");
        var badKind = await RunAsync("job", "start", "reboot");
        var badState = await RunAsync("job", "list", "--state", "done");
        var badSeconds = await RunAsync("job", "start", "wait", "-a", "seconds=soon", "--wait");

        Assert.Equal((1, "error: id: no job '99' (404)\n"), (unknown.Code, unknown.Err));
        Assert.Equal((2, "error: --arg: 'seconds' is not KEY=VALUE\n"), (badArg.Code, badArg.Err));
        Assert.Equal(1, badKind.Code);
        Assert.StartsWith("error: kind: no job kind 'reboot'", badKind.Err, StringComparison.Ordinal);
        Assert.Equal(1, badState.Code);
        Assert.StartsWith("error: state: 'done' is not a job state", badState.Err, StringComparison.Ordinal);
        Assert.Equal(1, badSeconds.Code);
        Assert.StartsWith("error: arguments.seconds: 'soon' is not", badSeconds.Err, StringComparison.Ordinal);
        Assert.Equal("[]\n", (await RunAsync("job", "list", "-o", "json")).Out);
    }
}
