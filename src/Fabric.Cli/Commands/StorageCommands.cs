using System.CommandLine;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric storage sync NODE [--dry-run]</c>.</summary>
internal static class StorageCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var storage = new Command("storage", "Storage nodes: their AoE exports");
        storage.Add(Sync(environment));
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
}
