using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fabric.Api.Contracts;
using Spectre.Console;

namespace Fabric.Cli.Output;

/// <summary>Following a job: what every command that starts a job does with it (print its id, and with
/// <c>--wait</c> follow it to the end), and <c>fabric job watch</c>. In a terminal the job is a progress bar;
/// otherwise (a pipe, a file, a test) one plain line per event. A job that does not succeed is an error line and
/// exit code 1.</summary>
internal static class JobWatch
{
    public static Option<bool> WaitOption() => new("--wait", "-w")
    {
        Description = "Follow the job until it ends; exit 0 when it succeeded, 1 otherwise",
    };

    /// <summary>For commands that start a job: prints <c>job 7 queued: wait on n1</c> (or the job as JSON), then
    /// follows it when <paramref name="wait"/> is set.</summary>
    public static async Task ReportStartedAsync(CliEnvironment environment, ApiClient api, JobDto job, bool wait, bool json, CancellationToken cancellationToken)
    {
        if (json)
        {
            CliApp.WriteJson(environment, job);
        }
        else
        {
            environment.Output.WriteLine($"job {job.Id} {job.State}: {Describe(job)}");
        }

        if (wait)
        {
            await WatchAsync(environment, api, job.Id, quiet: json, cancellationToken);
        }
    }

    /// <summary>Follows job <paramref name="id"/> until it ends; returns when it succeeded, throws a one-line
    /// <see cref="CliException"/> (exit 1) when it failed, was cancelled or interrupted.</summary>
    public static async Task WatchAsync(CliEnvironment environment, ApiClient api, long id, bool quiet, CancellationToken cancellationToken)
    {
        var final = await FollowToEndAsync(environment, api, id, quiet, cancellationToken);
        if (final.State != "succeeded")
        {
            var reason = final.Error is { Length: > 0 } error ? $": {error}" : "";
            throw new CliException($"error: job {final.Id} {final.State}{reason}", CliException.ApiError);
        }

        if (!quiet)
        {
            environment.Output.WriteLine($"job {final.Id} succeeded{Took(final)}");
        }
    }

    /// <summary>Follows job <paramref name="id"/> (showing it unless <paramref name="quiet"/>) and returns it finished.</summary>
    public static Task<JobDto> FollowToEndAsync(CliEnvironment environment, ApiClient api, long id, bool quiet, CancellationToken cancellationToken) =>
        !quiet && IsTerminal(environment)
            ? FollowInTerminalAsync(api, id, cancellationToken)
            : FollowAsync(api, id, quiet ? new QuietView() : new PlainView(environment.Output), cancellationToken);

    public static string Describe(JobDto job) => job.Node is null ? job.Kind : $"{job.Kind} on {job.Node}";

    public static bool IsFinished(string state) => state is "succeeded" or "failed" or "cancelled" or "interrupted";

    public static string? Progress(JobProgressDto? progress) => progress switch
    {
        null => null,
        { Total: > 0 } p => string.Create(CultureInfo.InvariantCulture, $"{p.Done}/{p.Total} {p.Unit} ({100.0 * p.Done / p.Total.Value:0}%)"),
        { Total: not null } p => $"{p.Done}/{p.Total} {p.Unit}",
        var p => $"{p.Done} {p.Unit}",
    };

    private static string Took(JobDto job) =>
        job is { StartedAt: { } started, FinishedAt: { } finished }
            ? string.Create(CultureInfo.InvariantCulture, $" in {(finished - started).TotalSeconds:0.#} s")
            : "";

    private static bool IsTerminal(CliEnvironment environment) =>
        ReferenceEquals(environment.Output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>What a follower shows.</summary>
    private interface IJobView
    {
        void Started(JobDto job);

        void Step(JobStepDto step);

        void Progress(JobProgressDto progress);

        void Log(JobLogLineDto line);
    }

    private sealed class QuietView : IJobView
    {
        public void Started(JobDto job)
        {
        }

        public void Step(JobStepDto step)
        {
        }

        public void Progress(JobProgressDto progress)
        {
        }

        public void Log(JobLogLineDto line)
        {
        }
    }

    private sealed class PlainView(TextWriter output) : IJobView
    {
        public void Started(JobDto job) => output.WriteLine($"job {job.Id} {job.State}: {Describe(job)}, attempt {job.Attempt}");

        public void Step(JobStepDto step) => output.WriteLine($"step {step.Name}");

        public void Progress(JobProgressDto progress) => output.WriteLine($"progress {JobWatch.Progress(progress)}");

        public void Log(JobLogLineDto line) => output.WriteLine($"log {line.Line}");
    }

    private sealed class BarView(ProgressTask task, long id) : IJobView
    {
        public void Started(JobDto job)
        {
            task.Description = Markup.Escape($"job {id} {Describe(job)}: {job.State}");
            if (job.Progress is { } progress)
            {
                Progress(progress);
            }
        }

        public void Step(JobStepDto step) => task.Description = Markup.Escape($"job {id}: {step.Name}");

        public void Progress(JobProgressDto progress)
        {
            task.IsIndeterminate = progress.Total is not > 0;
            task.MaxValue = progress.Total is > 0 and var total ? total : 1;
            task.Value = Math.Min(progress.Done, task.MaxValue);
        }

        public void Log(JobLogLineDto line) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line.Line)}[/]");
    }

    private static async Task<JobDto> FollowInTerminalAsync(ApiClient api, long id, CancellationToken cancellationToken)
    {
        JobDto final = null!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"job {id}", maxValue: 1);
                task.IsIndeterminate = true;
                final = await FollowAsync(api, id, new BarView(task, id), cancellationToken);
                if (final.State == "succeeded")
                {
                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                }

                task.StopTask();
            });
        return final;
    }

    /// <summary>Reads the job, then its event stream until the final state; reconnects when the stream ends early.</summary>
    private static async Task<JobDto> FollowAsync(ApiClient api, long id, IJobView view, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/jobs/{id}";
        var job = await api.GetAsync<JobDto>(path, cancellationToken);
        view.Started(job);
        int emptyStreams = 0;
        while (!IsFinished(job.State))
        {
            bool any = false;
            using (var response = await api.OpenStreamAsync($"{path}/events", cancellationToken))
            {
                await foreach (var (name, data) in ReadEventsAsync(response, cancellationToken))
                {
                    any = true;
                    switch (name)
                    {
                        case JobEvents.Step:
                            view.Step(Parse<JobStepDto>(data, api));
                            break;
                        case JobEvents.Progress:
                            view.Progress(Parse<JobProgressDto>(data, api));
                            break;
                        case JobEvents.Log:
                            view.Log(Parse<JobLogLineDto>(data, api));
                            break;
                        case JobEvents.State:
                            job = Parse<JobDto>(data, api);
                            break;
                    }
                }
            }

            if (!IsFinished(job.State))
            {
                // The stream ended before the job did (the appliance restarted, a proxy cut it): ask again.
                job = await api.GetAsync<JobDto>(path, cancellationToken);
                emptyStreams = any ? 0 : emptyStreams + 1;
                if (emptyStreams > 5)
                {
                    throw new CliException($"error: the appliance at {api.Server} keeps closing the event stream of job {id}", CliException.Unreachable);
                }

                await Task.Delay(TimeSpan.FromSeconds(emptyStreams), cancellationToken);
            }
        }

        return job;
    }

    private static T Parse<T>(string data, ApiClient api)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(data, FabricJson.Options)!;
        }
        catch (JsonException e)
        {
            throw new CliException($"error: the appliance at {api.Server} sent an event this CLI does not understand: {e.Message}", CliException.ApiError);
        }
    }

    /// <summary>The events of a <c>text/event-stream</c> body (the parts of the format the appliance sends).</summary>
    private static async IAsyncEnumerable<(string Name, string Data)> ReadEventsAsync(HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
        string name = "message";
        var data = new List<string>();
        while (true)
        {
            string? line;
            try
            {
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (IOException)
            {
                yield break;
            }
            catch (HttpRequestException)
            {
                yield break;
            }

            if (line is null)
            {
                yield break;
            }

            if (line.Length == 0)
            {
                if (data.Count > 0)
                {
                    yield return (name, string.Join('\n', data));
                }

                name = "message";
                data.Clear();
            }
            else if (line.StartsWith(':'))
            {
                continue;
            }
            else if (line.StartsWith("event:", StringComparison.Ordinal))
            {
                name = line[6..].TrimStart(' ');
            }
            else if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                data.Add(line[5..].TrimStart(' '));
            }
        }
    }
}
