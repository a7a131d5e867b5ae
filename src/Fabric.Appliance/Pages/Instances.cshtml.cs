using System.Globalization;
using Fabric.Core;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Operations;
using Fabric.Instances.Qmp;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Fabric.Appliance.Pages;

/// <summary>The instances page: every instance with its state, hypervisor, address, size and disk; a launch form;
/// start, stop and migrate (to a hypervisor the migration checks accept) buttons; and the live progress of each
/// instance's job (a migration's bytes sent, remaining and expected downtime). Requests go through
/// <see cref="IInstanceOperations"/>, as the API's do, so a refusal reads the same here as there.</summary>
public sealed class InstancesModel(IRegistry registry, IInstanceOperations operations, IJobService jobs, MigrationProgress migrations) : PageModel
{
    public sealed class LaunchForm
    {
        public string? Name { get; set; }

        public string? Image { get; set; }

        public string? VCpus { get; set; } = "1";

        public string? MemoryMiB { get; set; } = "512";

        public string? Network { get; set; }

        public string? Ip { get; set; }

        public string? Pair { get; set; }

        public string? DiskVolume { get; set; }
    }

    /// <summary>One instance as a row: the node, its active job (queued or running) and a migration's live figures.</summary>
    public sealed record Row(Node Node, Job? Job, MigrationInfo? Migration, IReadOnlyList<string> Targets)
    {
        public InstanceState State => Node.Instance?.State ?? InstanceState.Defined;
    }

    [BindProperty]
    public LaunchForm Launch { get; set; } = new();

    [TempData]
    public string? Notice { get; set; }

    public IReadOnlyList<Row> Rows { get; private set; } = [];

    public IReadOnlyList<string> NetworkNames { get; private set; } = [];

    public IReadOnlyList<string> PairNames { get; private set; } = [];

    /// <summary>True while some instance has a job: the table refreshes every second, else every five.</summary>
    public bool AnyActive => Rows.Any(r => r.Job is not null);

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    /// <summary>Only the table, for the page's refresh.</summary>
    public async Task<IActionResult> OnGetTableAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return Partial("_InstancesTable", this);
    }

    public async Task<IActionResult> OnPostLaunchAsync(CancellationToken cancellationToken)
    {
        var request = new InstanceRequest
        {
            Name = Trimmed(Launch.Name),
            Image = Trimmed(Launch.Image),
            VCpus = Whole(Launch.VCpus, "Launch.VCpus", "vCPUs") is { } v ? (int)v : null,
            MemoryMiB = Whole(Launch.MemoryMiB, "Launch.MemoryMiB", "memory (MiB)"),
            Network = Trimmed(Launch.Network),
            Ip = Trimmed(Launch.Ip),
            Pair = Trimmed(Launch.Pair),
            DiskVolume = Trimmed(Launch.DiskVolume),
        };
        if (ModelState.IsValid)
        {
            var created = await operations.CreateAsync(request, Web.WebActor.Name.ToString(), cancellationToken);
            if (created.Succeeded)
            {
                Notice = $"Launching {created.Node!.Name}: job {created.Job!.Id}.";
                return RedirectToPage();
            }

            foreach (var error in created.Error!.Errors)
            {
                ModelState.AddModelError(FieldOf(error.Field), error.Reason);
            }
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostStartAsync(string name, CancellationToken cancellationToken) =>
        Done(name, "start", await operations.StartAsync(name, Web.WebActor.Name.ToString(), cancellationToken));

    public async Task<IActionResult> OnPostStopAsync(string name, CancellationToken cancellationToken) =>
        Done(name, "stop", await operations.StopAsync(name, Web.WebActor.Name.ToString(), cancellationToken));

    public async Task<IActionResult> OnPostMigrateAsync(string name, string? target, CancellationToken cancellationToken) =>
        Done(name, "migrate", await operations.MigrateAsync(name, target, Web.WebActor.Name.ToString(), cancellationToken));

    private RedirectToPageResult Done(string name, string what, InstanceOperation result)
    {
        Notice = result.Succeeded
            ? $"{what} {name}: job {result.Job!.Id}."
            : $"Could not {what} {name}: {string.Join("; ", result.Error!.Errors.Select(e => e.Reason))}";
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        var active = new Dictionary<string, Job>(StringComparer.OrdinalIgnoreCase);
        foreach (var state in new[] { JobState.Queued, JobState.Running })
        {
            foreach (var job in await jobs.ListAsync(new JobQuery(State: state, Limit: 1000), cancellationToken))
            {
                // The running job wins over one queued after it.
                if (job.Node is { } node && (state == JobState.Running || !active.ContainsKey(node)))
                {
                    active[node] = job;
                }
            }
        }

        Rows = [.. registry.ListNodes(NodeRole.Instance)
            .OrderBy(n => n.Name, StringComparer.Ordinal)
            .Select(n => new Row(n, active.GetValueOrDefault(n.Name), migrations.Of(n.Name), operations.MigrationTargets(n.Name)))];
        NetworkNames = [.. registry.ListNetworks().Select(n => n.Name)];
        PairNames = [.. registry.ListNodes(NodeRole.Storage).Select(n => n.Storage?.Pair).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.Ordinal)];
    }

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private long? Whole(string? text, string key, string what)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value is > 0 and <= int.MaxValue)
        {
            return value;
        }

        ModelState.AddModelError(key, $"'{text}' is not a whole number of {what}");
        return null;
    }

    /// <summary>The form field an operations error names; placement, the hypervisor and anything else go to the summary.</summary>
    private static string FieldOf(string field) => field switch
    {
        "name" => "Launch.Name",
        "image" => "Launch.Image",
        "vCpus" => "Launch.VCpus",
        "memoryMiB" => "Launch.MemoryMiB",
        "network" => "Launch.Network",
        "ip" => "Launch.Ip",
        "pair" => "Launch.Pair",
        "diskVolume" => "Launch.DiskVolume",
        _ => string.Empty,
    };
}

/// <summary>How the instances page shows sizes and a migration's figures.</summary>
public static class InstancesView
{
    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        >= 1L << 10 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
    };

    public static string Migration(MigrationInfo info) =>
        $"{info.Status}: {Bytes(info.TransferredBytes)} sent, {Bytes(info.RemainingBytes)} remaining"
        + (info.ExpectedDowntimeMs is { } d ? string.Create(CultureInfo.InvariantCulture, $", expected downtime {d} ms") : "");
}
