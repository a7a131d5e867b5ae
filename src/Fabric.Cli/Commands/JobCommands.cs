using System.CommandLine;
using System.Globalization;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric job list|show|watch|cancel|retry|start</c>.</summary>
internal static class JobCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var job = new Command("job", "Follow, cancel and retry jobs (work the appliance does on nodes)");
        job.Add(List(environment));
        job.Add(Show(environment));
        job.Add(Watch(environment));
        job.Add(Cancel(environment));
        job.Add(Retry(environment));
        job.Add(Start(environment));
        return job;
    }

    private static Command List(CliEnvironment environment)
    {
        var node = new Option<string?>("--node", "-n") { Description = "Only jobs on this node" };
        var state = new Option<string?>("--state") { Description = "Only jobs in this state (queued, running, succeeded, failed, cancelled, interrupted)" };
        var output = CliApp.OutputOption();
        var command = new Command("list", "List jobs, newest first") { node, state, output };
        command.Aliases.Add("ls");
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var query = new List<string>();
            if (parse.GetValue(node) is { Length: > 0 } n)
            {
                query.Add($"node={Uri.EscapeDataString(n)}");
            }

            if (parse.GetValue(state) is { Length: > 0 } s)
            {
                query.Add($"state={Uri.EscapeDataString(s)}");
            }

            var jobs = await api.GetAsync<List<JobDto>>("/api/v1/jobs" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, jobs);
                return;
            }

            Table.Write(environment.Output, ["ID", "KIND", "NODE", "STATE", "ATTEMPT", "STEP", "PROGRESS", "CREATED"],
                jobs.Select(j => (IReadOnlyList<string?>)
                [
                    j.Id.ToString(CultureInfo.InvariantCulture), j.Kind, j.Node ?? "-", j.State, j.Attempt.ToString(CultureInfo.InvariantCulture),
                    (j.Steps.Count > 0 ? j.Steps[^1].Name : null) ?? "-", JobWatch.Progress(j.Progress) ?? "-", j.CreatedAt.ToString("u", CultureInfo.InvariantCulture),
                ]));
        }));
        return command;
    }

    private static Command Show(CliEnvironment environment)
    {
        var id = IdArgument();
        var output = CliApp.OutputOption();
        var command = new Command("show", "Show one job with its steps and log") { id, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var j = await api.GetAsync<JobDto>($"/api/v1/jobs/{parse.GetValue(id)}", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, j);
                return;
            }

            Table.WriteFields(environment.Output,
            [
                ("id", j.Id.ToString(CultureInfo.InvariantCulture)),
                ("kind", j.Kind),
                ("node", j.Node),
                ("state", j.CancelRequested && !JobWatch.IsFinished(j.State) ? $"{j.State} (cancel requested)" : j.State),
                ("attempt", j.Attempt.ToString(CultureInfo.InvariantCulture)),
                ("actor", j.Actor),
                ("arguments", string.Join(", ", j.Arguments.Select(a => $"{a.Key}={a.Value}"))),
                ("created", j.CreatedAt.ToString("u", CultureInfo.InvariantCulture)),
                ("started", j.StartedAt?.ToString("u", CultureInfo.InvariantCulture)),
                ("finished", j.FinishedAt?.ToString("u", CultureInfo.InvariantCulture)),
                ("progress", JobWatch.Progress(j.Progress)),
                ("error", j.Error),
            ]);
            if (j.Steps.Count > 0)
            {
                environment.Output.WriteLine();
                Table.Write(environment.Output, ["STEP", "STATE", "STARTED", "FINISHED"],
                    j.Steps.Select(s => (IReadOnlyList<string?>)
                        [s.Name, s.State, s.StartedAt.ToString("u", CultureInfo.InvariantCulture), s.FinishedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "-"]));
            }

            if (j.Log is { Count: > 0 } log)
            {
                environment.Output.WriteLine();
                if (j.LogDropped > 0)
                {
                    environment.Output.WriteLine($"({j.LogDropped} older log lines dropped)");
                }

                foreach (var line in log)
                {
                    environment.Output.WriteLine($"{line.At.ToString("u", CultureInfo.InvariantCulture)}  {line.Line}");
                }
            }
        }));
        return command;
    }

    private static Command Watch(CliEnvironment environment)
    {
        var id = IdArgument();
        var command = new Command("watch", "Follow a job until it ends: a progress bar in a terminal, plain lines otherwise; exit 0 when it succeeded, 1 otherwise") { id };
        command.SetAction(CliApp.Action(environment, (parse, api, cancellationToken) =>
            JobWatch.WatchAsync(environment, api, parse.GetValue(id), quiet: false, cancellationToken)));
        return command;
    }

    private static Command Cancel(CliEnvironment environment)
    {
        var id = IdArgument();
        var wait = JobWatch.WaitOption();
        var command = new Command("cancel", "Cancel a queued job, or stop a running one") { id, wait };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var j = await api.PostAsync<JobDto>($"/api/v1/jobs/{parse.GetValue(id)}/cancel", new { }, cancellationToken);
            environment.Output.WriteLine(JobWatch.IsFinished(j.State) ? $"job {j.Id} {j.State}" : $"job {j.Id} is stopping");
            if (parse.GetValue(wait) && !JobWatch.IsFinished(j.State))
            {
                var after = await JobWatch.FollowToEndAsync(environment, api, j.Id, quiet: true, cancellationToken);
                environment.Output.WriteLine($"job {after.Id} {after.State}");
            }
        }));
        return command;
    }

    private static Command Retry(CliEnvironment environment)
    {
        var id = IdArgument();
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("retry", "Queue a failed, cancelled or interrupted job again (same id, next attempt)") { id, wait, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var j = await api.PostAsync<JobDto>($"/api/v1/jobs/{parse.GetValue(id)}/retry", new { }, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, j, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Command Start(CliEnvironment environment)
    {
        var kind = new Argument<string>("kind") { Description = "Job kind, e.g. wait" };
        var node = new Option<string?>("--node", "-n") { Description = "The node the job works on (one job at a time per node)" };
        var arguments = new Option<string[]?>("--arg", "-a") { Description = "A job argument KEY=VALUE, e.g. seconds=30; repeat for more" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("start", "Start a job of a kind, e.g. 'fabric job start wait --arg seconds=30 --node hnode01 --wait'")
        {
            kind, node, arguments, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var argument in parse.GetValue(arguments) ?? [])
            {
                int equals = argument.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new CliException($"error: --arg: '{argument}' is not KEY=VALUE", CliException.Usage);
                }

                values[argument[..equals]] = argument[(equals + 1)..];
            }

            var j = await api.PostAsync<JobDto>("/api/v1/jobs", new CreateJobRequest { Kind = parse.GetValue(kind), Node = parse.GetValue(node), Arguments = values }, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, j, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Argument<long> IdArgument() => new("id") { Description = "Job id (see 'fabric job list')" };
}
