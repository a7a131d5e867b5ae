using System.CommandLine;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;
using Fabric.Core;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric router plan ROUTER</c> (what apply would change; changes nothing) and <c>fabric router apply ROUTER
/// [--wait]</c> (a <c>router-apply</c> job).</summary>
internal static class RouterCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var router = new Command("router", "The router: its VLAN sub-interfaces, proxy ARP and filter, kept as the registry says");
        router.Add(Plan(environment));
        router.Add(Apply(environment));
        return router;
    }

    private static Command Plan(CliEnvironment environment)
    {
        var name = new Argument<string>("router") { Description = "The router node" };
        var output = CliApp.OutputOption();
        var command = new Command("plan", "Show what applying the router would change (reads it over SSH; changes nothing)") { name, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var plan = await api.GetAsync<RouterPlanDto>($"/api/v1/routers/{Uri.EscapeDataString(parse.GetValue(name)!)}/plan", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, plan);
                return;
            }

            if (plan.Changes.Count == 0)
            {
                environment.Output.WriteLine($"{plan.Router}: no changes");
                return;
            }

            environment.Output.WriteLine($"{plan.Router}: {plan.Changes.Count} {(plan.Changes.Count == 1 ? "change" : "changes")}");
            foreach (var change in plan.Changes)
            {
                environment.Output.WriteLine($"  {LogText.Escape(change.Description)}");
            }
        }));
        return command;
    }

    private static Command Apply(CliEnvironment environment)
    {
        var name = new Argument<string>("router") { Description = "The router node" };
        var wait = JobWatch.WaitOption();
        var output = CliApp.OutputOption();
        var command = new Command("apply", "Bring the router to what the registry says, as a job") { name, wait, output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var job = await api.PostAsync<JobDto>($"/api/v1/routers/{Uri.EscapeDataString(parse.GetValue(name)!)}/apply", new { }, cancellationToken);
            bool json = CliApp.IsJson(parse, output);
            await JobWatch.ReportStartedAsync(environment, api, job, parse.GetValue(wait), json, cancellationToken);
            if (parse.GetValue(wait) && !json)
            {
                // The job's own summary ("router1: no changes", "router1: 6 changes"), also when it ended before it was followed.
                var done = await api.GetAsync<JobDto>($"/api/v1/jobs/{job.Id}", cancellationToken);
                var summary = done.Log?.LastOrDefault(l => l.Line.StartsWith($"{job.Node}: ", StringComparison.Ordinal)
                    && (l.Line.EndsWith(": no changes", StringComparison.Ordinal) || l.Line.EndsWith(" changes", StringComparison.Ordinal)));
                if (summary is not null)
                {
                    environment.Output.WriteLine(LogText.Escape(summary.Line));
                }
            }
        }));
        return command;
    }
}
