using System.Globalization;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Fabric.Appliance.Pages;

/// <summary>The jobs page: recent jobs with live state and progress (the table refreshes itself while a job is
/// active), cancel and retry buttons, and a form that starts a <c>wait</c> job to check the job system.</summary>
public sealed class JobsModel(IJobService jobs, IRegistry registry) : PageModel
{
    public const int Shown = 100;

    public sealed class WaitForm
    {
        public string? Seconds { get; set; } = "30";

        public string? Node { get; set; }
    }

    [BindProperty]
    public WaitForm Wait { get; set; } = new();

    [TempData]
    public string? Notice { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? Node { get; set; }

    [BindProperty(SupportsGet = true)]
    public string? State { get; set; }

    public IReadOnlyList<Job> Jobs { get; private set; } = [];

    public IReadOnlyList<string> NodeNames { get; private set; } = [];

    /// <summary>True while some job shown can still change: the table keeps refreshing.</summary>
    public bool AnyActive => Jobs.Any(j => !j.IsFinished);

    public async Task OnGetAsync(CancellationToken cancellationToken) => await LoadAsync(cancellationToken);

    /// <summary>Only the table, for the page's refresh.</summary>
    public async Task<IActionResult> OnGetTableAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        return Partial("_JobsTable", this);
    }

    public async Task<IActionResult> OnPostStartAsync(CancellationToken cancellationToken)
    {
        string? node = string.IsNullOrWhiteSpace(Wait.Node) ? null : Wait.Node.Trim();
        if (node is not null && registry.FindNode(node) is null)
        {
            ModelState.AddModelError("Wait.Node", $"no node named '{node}'");
        }
        else
        {
            var result = await jobs.EnqueueAsync(
                new NewJob("wait", node, new Dictionary<string, string> { ["seconds"] = (Wait.Seconds ?? "").Trim() }, Web.WebActor.Name.ToString()), cancellationToken);
            if (result.Succeeded)
            {
                Notice = $"Started job {result.Value!.Id}.";
                return RedirectToPage();
            }

            foreach (var error in result.Error!.Errors)
            {
                ModelState.AddModelError(error.Field == "arguments.seconds" ? "Wait.Seconds" : string.Empty, error.Reason);
            }
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostCancelAsync(long id, CancellationToken cancellationToken)
    {
        var result = await jobs.CancelAsync(id, Web.WebActor.Name.ToString(), cancellationToken);
        Notice = !result.Succeeded ? $"Could not cancel job {id}: {result.Error}"
            : result.Value!.IsFinished ? $"Cancelled job {id}." : $"Job {id} is stopping.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRetryAsync(long id, CancellationToken cancellationToken)
    {
        var result = await jobs.RetryAsync(id, Web.WebActor.Name.ToString(), cancellationToken);
        Notice = result.Succeeded ? $"Queued job {id} again (attempt {result.Value!.Attempt})." : $"Could not retry job {id}: {result.Error}";
        return RedirectToPage();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        JobState? state = JobStateNames.TryParse(State, out var parsed) ? parsed : null;
        Jobs = await jobs.ListAsync(new JobQuery(string.IsNullOrWhiteSpace(Node) ? null : Node, state, Shown), cancellationToken);
        NodeNames = registry.ListNodes().Select(n => n.Name).ToArray();
    }
}

/// <summary>How the job pages show a job's parts.</summary>
public static class JobsView
{
    public static string Progress(JobProgress? progress) => progress switch
    {
        null => "",
        { Total: > 0 } p => string.Create(CultureInfo.InvariantCulture, $"{p.Done}/{p.Total} {p.Unit} ({100.0 * p.Done / p.Total.Value:0}%)"),
        { Total: not null } p => $"{p.Done}/{p.Total} {p.Unit}",
        var p => $"{p.Done} {p.Unit}",
    };

    public static string Time(DateTimeOffset? at) => at?.ToString("u", CultureInfo.InvariantCulture) ?? "";

    public static string Step(Job job) => (job.Steps.Count > 0 ? job.Steps[^1].Name : null) ?? "";
}
