using System.Globalization;
using Fabric.Core;
using Fabric.Core.Events;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Fabric.Remote;
using Fabric.Remote.Commands;
using Fabric.Storage.Exports;
using Fabric.Storage.Repair;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Storage.Jobs;

/// <summary>Job kind <c>md-repair</c> on a hardware node with an <c>aoe-md</c> root: puts the missing half of its root
/// array back over SSH and follows the rebuild in <c>/proc/mdstat</c> until the array is <c>[UU]</c>. Idempotent: an
/// array already clean runs nothing. Arguments: <c>target</c> (<c>eS.N</c>, one half of the root; default both),
/// <c>after</c> (a job id to wait for first, the storage node's <c>storage-sync</c>), <c>dryRun</c> (only log the plan).</summary>
internal sealed class MdRepairJobHandler(IRegistry registry, IRemoteHosts remoteHosts, IServiceProvider services, TimeProvider time) : IJobHandler
{
    public const string KindName = "md-repair";

    /// <summary>How often <c>/proc/mdstat</c> is read while the array rebuilds, and a job waited for is looked at.</summary>
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    public string Kind => KindName;

    /// <summary>Every hardware node that is up (not retired) with an <c>aoe-md</c> root with a half on
    /// <paramref name="shelf"/>, with that half, by node name.</summary>
    public static IEnumerable<(Node Node, AoeTarget Target)> RootsOnShelf(IEnumerable<Node> nodes, int shelf) =>
        nodes
            .Where(n => n.Role == NodeRole.Hardware && n.State == NodeState.Up && n.Hardware?.Root is { Transport: RootTransport.AoeMd })
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .SelectMany(n => n.Hardware!.Root!.AoeTargets.Where(t => t.Shelf == shelf).Select(t => (n, t)));

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        if (arguments.TryGetValue("dryRun", out var dryRun) && dryRun is not ("true" or "false"))
        {
            errors.Add(new JobFieldError("arguments.dryRun", $"'{dryRun}' is not true or false"));
        }

        if (arguments.TryGetValue("target", out var target) && !AoeTarget.TryParse(target, out _))
        {
            errors.Add(new JobFieldError("arguments.target", $"'{target}' is not an AoE target (eSHELF.SLOT, e.g. e1.1)"));
        }

        if (arguments.TryGetValue("after", out var after) && !(long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0))
        {
            errors.Add(new JobFieldError("arguments.after", $"'{after}' is not a job id"));
        }

        foreach (var key in arguments.Keys.Where(k => k is not ("dryRun" or "target" or "after")))
        {
            errors.Add(new JobFieldError($"arguments.{key}", "an md-repair job takes only 'target', 'after' and 'dryRun'"));
        }

        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var arguments = context.Job.Arguments;
        var name = context.Job.Node ?? throw new JobFailedException("an md-repair job needs a node");
        var node = registry.FindNode(name) ?? throw new JobFailedException($"no node named '{name}'");
        if (node.Role != NodeRole.Hardware || node.Hardware?.Root is not { Transport: RootTransport.AoeMd } root)
        {
            throw new JobFailedException($"node '{node.Name}' has no aoe-md root; md-repair repairs the md root of a hardware node");
        }

        IReadOnlyList<AoeTarget> halves = root.AoeTargets;
        if (arguments.TryGetValue("target", out var text))
        {
            var wanted = AoeTarget.TryParse(text, out var t) ? t : throw new JobFailedException($"'{text}' is not an AoE target");
            halves = halves.Contains(wanted) ? [wanted] : throw new JobFailedException($"{wanted} is not a half of {node.Name}'s root {root}");
        }

        bool dryRun = arguments.TryGetValue("dryRun", out var value) && value == "true";
        if (arguments.TryGetValue("after", out var after))
        {
            await WaitForJobAsync(context, long.Parse(after, CultureInfo.InvariantCulture));
        }

        var target = ExportSync.TargetOf(node) ?? throw new JobFailedException($"node '{node.Name}' has no ip and no sshAddress");
        try
        {
            await RepairAsync(context, remoteHosts.For(target), node, root, halves, dryRun);
        }
        catch (HostKeyMismatchException e)
        {
            await registry.RecordAsync(node.Name, EventKind.SshHostKeyMismatch, e.Message, Actor.Job(context.Job.Id.ToString(CultureInfo.InvariantCulture)));
            throw new JobFailedException($"{target}: {e.Message}", e);
        }
        catch (RemoteHostException e)
        {
            throw new JobFailedException(e.Message, e);
        }
        catch (RemoteCommandTimeoutException e)
        {
            throw new JobFailedException(e.Message, e);
        }
        catch (RemoteCommandFailedException e)
        {
            throw new JobFailedException(e.Message, e);
        }
    }

    /// <summary>Waits for job <paramref name="id"/> (the storage node's sync: its export must be back before the half is
    /// re-added); fails unless it succeeded.</summary>
    private async Task WaitForJobAsync(IJobContext context, long id)
    {
        await context.StepAsync($"wait for job {id}");
        var jobs = services.GetRequiredService<IJobService>();
        while (true)
        {
            var job = await jobs.FindAsync(id, context.CancellationToken) ?? throw new JobFailedException($"job {id} to wait for does not exist");
            if (job.IsFinished)
            {
                if (job.State != JobState.Succeeded)
                {
                    throw new JobFailedException($"job {id} ({job.Kind} on {job.Node}) ended {job.State.Name()}: its export may not be back, so nothing was re-added");
                }

                context.Log($"job {id} ({job.Kind} on {job.Node}) succeeded");
                return;
            }

            await Task.Delay(PollInterval, time, context.CancellationToken);
        }
    }

    private async Task RepairAsync(IJobContext context, IRemoteHost host, Node node, RootSpec root, IReadOnlyList<AoeTarget> halves, bool dryRun)
    {
        await context.StepAsync("read /proc/mdstat");
        var array = await FindArrayAsync(context, host, node, root);
        context.Log($"{node.Name}: {Describe(array)}");
        if (array.IsClean)
        {
            context.Log($"{node.Name}: {array.Name} is clean [{array.Status}]: nothing to do");
            return;
        }

        var missing = halves.Where(h => array.MemberOf(h) is null or { Faulty: true }).ToList();
        if (missing.Count > 0)
        {
            await context.StepAsync(dryRun ? "plan the re-add" : $"re-add {string.Join(", ", missing)}");
            var detail = await RunAsync(context, host, node, MdRepairScripts.Detail(array.Device), logOutput: !dryRun);
            if (dryRun)
            {
                context.Log($"{node.Name}: mdadm --detail {array.Device} exited {detail.ExitCode}");
            }

            foreach (var half in missing)
            {
                await ReAddAsync(context, host, node, array, half, dryRun);
            }
        }
        else
        {
            context.Log($"{node.Name}: {string.Join(", ", halves)} already in {array.Name}; waiting for the rebuild");
        }

        if (dryRun)
        {
            return;
        }

        await context.StepAsync($"rebuild {array.Name}");
        await FollowAsync(context, host, node, array.Name);
    }

    private static async Task<MdArray> FindArrayAsync(IJobContext context, IRemoteHost host, Node node, RootSpec root)
    {
        var stat = (await RunAsync(context, host, node, MdRepairScripts.ReadMdStat(), logOutput: false)).EnsureSuccess().StandardOutput;
        var arrays = MdStat.Parse(stat);
        return arrays.FirstOrDefault(a => root.AoeTargets.Any(t => a.MemberOf(t) is not null))
            ?? throw new JobFailedException(
                $"{node.Name}: no md array lists {string.Join(" or ", root.AoeTargets)} in /proc/mdstat ({(arrays.Count == 0 ? "no arrays" : string.Join("; ", arrays.Select(Describe)))})");
    }

    private static async Task ReAddAsync(IJobContext context, IRemoteHost host, Node node, MdArray array, AoeTarget half, bool dryRun)
    {
        RemoteCommand[] prepare =
        [
            MdRepairScripts.RevalidateCommand(half),
            MdRepairScripts.Remove(array.Device, "failed"),
            MdRepairScripts.Remove(array.Device, "detached"),
        ];
        var reAdd = MdRepairScripts.ReAdd(array.Device, half);
        if (dryRun)
        {
            foreach (var command in prepare.Append(reAdd))
            {
                context.Log($"{node.Name}: would run {ShownText(command)}");
            }

            context.Log($"{node.Name}: then, only if --re-add is refused, {MdRepairScripts.Add(array.Device, half)} (a full rebuild)");
            return;
        }

        // Nothing to remove is no error: these only clear the way for the re-add.
        foreach (var command in prepare)
        {
            await RunAsync(context, host, node, command, logOutput: true);
        }

        var readded = await RunAsync(context, host, node, reAdd, logOutput: true);
        if (readded.Succeeded)
        {
            context.Log($"{node.Name}: re-added {half} to {array.Name} (the write-intent bitmap limits the rebuild to what changed)");
            return;
        }

        context.Log($"{node.Name}: --re-add of {half} was refused (exit {readded.ExitCode}); adding it with --add instead, which rebuilds the whole half");
        (await RunAsync(context, host, node, MdRepairScripts.Add(array.Device, half), logOutput: true)).EnsureSuccess();
        context.Log($"{node.Name}: added {half} to {array.Name}");
    }

    /// <summary>Reads <c>/proc/mdstat</c> until the array is clean, reporting the rebuild's blocks as progress. Cancelling
    /// the job stops the waiting (the rebuild itself goes on in the node's kernel).</summary>
    private async Task FollowAsync(IJobContext context, IRemoteHost host, Node node, string arrayName)
    {
        string? lastShown = null;
        while (true)
        {
            var stat = (await RunAsync(context, host, node, MdRepairScripts.ReadMdStat(), logOutput: false)).EnsureSuccess().StandardOutput;
            var array = MdStat.Parse(stat).FirstOrDefault(a => a.Name == arrayName)
                ?? throw new JobFailedException($"{node.Name}: {arrayName} is gone from /proc/mdstat");
            if (array.Sync is { Done: long done, Total: long total })
            {
                context.Progress(done, total, "blocks");
            }

            var shown = Describe(array);
            if (shown != lastShown && array.Sync?.Done is null)
            {
                context.Log($"{node.Name}: {shown}");
                lastShown = shown;
            }

            if (array.IsClean)
            {
                context.Log($"{node.Name}: {array.Name} is clean [{array.Status}]");
                return;
            }

            if (array.Sync is null && array.Members.Any(m => m.Faulty))
            {
                throw new JobFailedException($"{node.Name}: {Describe(array)}: a member failed again");
            }

            if (array.Sync is null && array.Status.Contains('_', StringComparison.Ordinal) && array.Members.Count < (array.Slots ?? 2))
            {
                throw new JobFailedException($"{node.Name}: {Describe(array)}: the re-added half is not in the array");
            }

            await Task.Delay(PollInterval, time, context.CancellationToken);
        }
    }

    private static async Task<RemoteCommandResult> RunAsync(IJobContext context, IRemoteHost host, Node node, RemoteCommand command, bool logOutput)
    {
        if (logOutput)
        {
            context.Log($"{node.Name}: $ {ShownText(command)}");
        }

        var options = new RemoteRunOptions(CommandTimeout, logOutput ? line => context.Log($"{node.Name}: {line.Text}") : null);
        var result = await host.RunAsync(command, options, context.CancellationToken);
        if (logOutput && !result.Succeeded)
        {
            context.Log($"{node.Name}: exit {result.ExitCode}");
        }

        return result;
    }

    /// <summary>A command as the log shows it: a script by its first line and its arguments.</summary>
    private static string ShownText(RemoteCommand command) =>
        command.Arguments.Count >= 4 && command.Arguments[0] == "sh" && command.Arguments[1] == "-c"
            ? $"{command.Arguments[2].Split('\n')[0].Trim()} ... ({string.Join(" ", command.Arguments.Skip(4))})"
            : command.ShellText;

    private static string Describe(MdArray array) =>
        $"{array.Name} {array.Level} [{array.SlotsInUse}/{array.Slots}] [{array.Status}] "
        + string.Join(" ", array.Members.Select(m => $"{m.Device}[{m.Role}]{(m.Faulty ? "(F)" : "")}{(m.Spare ? "(S)" : "")}"))
        + (array.Sync is { } sync ? $" {sync.Kind} {sync.Done}/{sync.Total}" : "");
}
