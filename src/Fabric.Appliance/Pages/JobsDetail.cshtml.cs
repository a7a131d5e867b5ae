using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Fabric.Appliance.Pages;

/// <summary>One job: its facts, steps, progress and log, refreshed every second until it ends.</summary>
public sealed class JobsDetailModel(IJobService jobs) : PageModel
{
    public Job Job { get; private set; } = null!;

    public IReadOnlyList<JobLogLine> Log { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(long id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Page() : NotFound();

    /// <summary>Only the live part, for the page's refresh.</summary>
    public async Task<IActionResult> OnGetLiveAsync(long id, CancellationToken cancellationToken) =>
        await LoadAsync(id, cancellationToken) ? Partial("_JobsLive", this) : NotFound();

    private async Task<bool> LoadAsync(long id, CancellationToken cancellationToken)
    {
        if (await jobs.FindAsync(id, cancellationToken) is not { } job)
        {
            return false;
        }

        Job = job;
        Log = await jobs.LogAsync(id, cancellationToken: cancellationToken);
        return true;
    }
}
