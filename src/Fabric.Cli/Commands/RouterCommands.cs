using System.CommandLine;
using Fabric.Api.Contracts;
using Fabric.Cli.Output;
using Fabric.Core;

namespace Fabric.Cli.Commands;

/// <summary><c>fabric router plan ROUTER</c> (what apply would change; changes nothing), <c>fabric router apply ROUTER
/// [--wait]</c> (a <c>router-apply</c> job), and the operator's rules between instance networks: <c>fabric router allow
/// FROM TO [--proto P] [--port N]</c>, <c>fabric router deny FROM TO [--proto P] [--port N]</c>, <c>fabric router
/// rules</c>.</summary>
internal static class RouterCommands
{
    public static Command Create(CliEnvironment environment)
    {
        var router = new Command("router", "The router: its VLAN sub-interfaces, proxy ARP and filter, kept as the registry says");
        router.Add(Plan(environment));
        router.Add(Apply(environment));
        router.Add(Allow(environment));
        router.Add(Deny(environment));
        router.Add(Rules(environment));
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

    private static Command Allow(CliEnvironment environment)
    {
        var (from, to, proto, port) = RuleArguments();
        var output = CliApp.OutputOption();
        var command = new Command("allow", "Let instances of network FROM open connections to those of network TO through the router (on it at its next apply)")
        {
            from, to, proto, port, output,
        };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var rule = await api.PostAsync<RouterRuleDto>(
                "/api/v1/routers/rules",
                new CreateRouterRuleRequest { From = parse.GetValue(from), To = parse.GetValue(to), Protocol = parse.GetValue(proto), Port = parse.GetValue(port) },
                cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, rule);
                return;
            }

            environment.Output.WriteLine($"allowed {Describe(rule)}; `fabric router apply ROUTER` puts it on a router");
        }));
        return command;
    }

    private static Command Deny(CliEnvironment environment)
    {
        var (from, to, proto, port) = RuleArguments();
        var command = new Command("deny", "Remove the rule that allows exactly this traffic (on the router at its next apply)") { from, to, proto, port };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var query = $"from={Uri.EscapeDataString(parse.GetValue(from)!)}&to={Uri.EscapeDataString(parse.GetValue(to)!)}";
            if (parse.GetValue(proto) is { } p)
            {
                query += $"&protocol={Uri.EscapeDataString(p)}";
            }

            if (parse.GetValue(port) is { } n)
            {
                query += $"&port={n.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
            }

            var rule = await api.DeleteAsync<RouterRuleDto>($"/api/v1/routers/rules?{query}", cancellationToken);
            environment.Output.WriteLine($"removed {Describe(rule)}; `fabric router apply ROUTER` takes it off a router");
        }));
        return command;
    }

    private static Command Rules(CliEnvironment environment)
    {
        var output = CliApp.OutputOption();
        var command = new Command("rules", "List the rules between instance networks (everything else between them is dropped)") { output };
        command.SetAction(CliApp.Action(environment, async (parse, api, cancellationToken) =>
        {
            var rules = await api.GetAsync<List<RouterRuleDto>>("/api/v1/routers/rules", cancellationToken);
            if (CliApp.IsJson(parse, output))
            {
                CliApp.WriteJson(environment, rules);
                return;
            }

            Table.Write(environment.Output, ["ID", "FROM", "TO", "PROTOCOL", "PORT"], rules.Select(r => (IReadOnlyList<string?>)
                [r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.From, r.To, r.Protocol ?? "any", r.Port?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any"]));
        }));
        return command;
    }

    private static (Argument<string> From, Argument<string> To, Option<string?> Proto, Option<int?> Port) RuleArguments() =>
    (
        new Argument<string>("from") { Description = "The network whose instances open the connections" },
        new Argument<string>("to") { Description = "The network whose instances are reached" },
        new Option<string?>("--proto") { Description = "tcp, udp, icmp or any (the default)" },
        new Option<int?>("--port") { Description = "A destination port (with --proto tcp or udp); any when absent" }
    );

    private static string Describe(RouterRuleDto rule) =>
        $"#{rule.Id} {rule.From} -> {rule.To} {(rule.Protocol is null ? "any" : rule.Port is null ? rule.Protocol : $"{rule.Protocol}/{rule.Port}")}";

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
