using System.CommandLine;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric storage sync NODE [--dry-run]</c>, <c>fabric storage repair HARDWARE-NODE [--dry-run]</c>.</summary>
internal static class StorageCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var storage = new Command("storage", "Storage nodes: their exports, and the md roots they serve");
        storage.Add(Sync(environment));
        storage.Add(Repair(environment));
        return storage;
    }

    private static Command Sync(CliEnvironment environment)
    {
        var node = new Argument<string>("node") { Description = "The storage node" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only show what would change (in the job's log)" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("sync", "Start the exports the registry lists and stop the others on a storage node, as a job")
        {
            node, dryRun, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var request = new CreateJobRequest
            {
                Kind = "storage-sync",
                Node = parse.GetValue(node),
                Arguments = new Dictionary<string, string>(StringComparer.Ordinal) { ["dryRun"] = parse.GetValue(dryRun) ? "true" : "false" },
            };
            var job = await api.PostAsync<JobDto>("/api/v1/jobs", request, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }

    private static Command Repair(CliEnvironment environment)
    {
        var node = new Argument<string>("hardware-node") { Description = "The hardware node whose aoe-md root lost a half" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only show the plan (in the job's log)" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("repair", "Re-add the missing half of a hardware node's md root and follow the rebuild, as a job")
        {
            node, dryRun, wait, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var request = new CreateJobRequest
            {
                Kind = "md-repair",
                Node = parse.GetValue(node),
                Arguments = new Dictionary<string, string>(StringComparer.Ordinal) { ["dryRun"] = parse.GetValue(dryRun) ? "true" : "false" },
            };
            var job = await api.PostAsync<JobDto>("/api/v1/jobs", request, cancellationToken);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), CliApp.IsJson(parse, output), cancellationToken);
        }));
        return command;
    }
}
