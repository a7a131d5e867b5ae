using System.Text.RegularExpressions;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fabric.Appliance.Tests.Web;

/// <summary>The jobs pages in a real headless Chromium against a real appliance running real <c>wait</c> jobs.</summary>
[Collection(WebCollection.Name)]
public sealed partial class JobsPageTests(WebFixture fixture)
{
    private IJobService Jobs => fixture.Services.GetRequiredService<IJobService>();

    [GeneratedRegex(@"Started job (\d+)\.")]
    private static partial Regex StartedNotice();

    private static async Task<long> StartWaitAsync(IPage page, string seconds)
    {
        await page.GotoAsync("/jobs");
        await page.FillAsync("#Wait_Seconds", seconds);
        await page.ClickAsync("#start-wait button[type=submit]");
        var notice = page.Locator(".notice");
        await Assertions.Expect(notice).ToContainTextAsync("Started job");
        return long.Parse(StartedNotice().Match(await notice.InnerTextAsync()).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task JobsPage_WaitJob_LiveProgressThenCancelAndRetry()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        long id = await StartWaitAsync(page, "600");
        var row = page.Locator($"tr[data-job='{id}']");

        await Assertions.Expect(row.Locator(".state")).ToHaveTextAsync("running");
        // Progress moves on the page as it is: the notice of the redirect is still there, so the page did not reload.
        await Assertions.Expect(row.Locator("td.progress")).ToContainTextAsync(new Regex(@"\b[2-9]\d*/600 seconds"));
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync($"Started job {id}.");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "jobs.png"), FullPage = true });

        await row.Locator("button.danger").ClickAsync();
        await Assertions.Expect(page.Locator($"tr[data-job='{id}'] .state")).ToHaveTextAsync("cancelled");
        Assert.Equal(JobState.Cancelled, (await Jobs.FindAsync(id))!.State);

        await page.Locator($"tr[data-job='{id}'] button.secondary").ClickAsync();
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync($"Queued job {id} again (attempt 2).");
        await Assertions.Expect(page.Locator($"tr[data-job='{id}']")).ToContainTextAsync("attempt 2");
        await Assertions.Expect(page.Locator($"tr[data-job='{id}'] .state")).ToHaveTextAsync("running");
        await Jobs.CancelAsync(id, "test");
    }

    [Fact]
    public async Task JobPage_RunningJob_ProgressStepsAndLogUpdateUntilItEnds()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        long id = await StartWaitAsync(page, "4");

        await page.GotoAsync($"/jobs/{id}");
        await Assertions.Expect(page.Locator("#job-state")).ToHaveTextAsync("running");
        await Assertions.Expect(page.Locator("#job-progress-text")).ToContainTextAsync(new Regex(@"^[1-3]/4 seconds"));
        await Assertions.Expect(page.Locator("#job-state")).ToHaveTextAsync("succeeded");
        await Assertions.Expect(page.Locator("#job-progress-text")).ToHaveTextAsync("4/4 seconds (100%)");
        await Assertions.Expect(page.Locator("#job-steps")).ToContainTextAsync("succeeded wait 1/1");
        await Assertions.Expect(page.Locator("#job-log")).ToContainTextAsync("step 1/1 done: waited 4 of 4 s");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "job.png"), FullPage = true });

        // A finished job's page stops asking for updates.
        Assert.Null(await page.Locator("#job-live").GetAttributeAsync("hx-get"));
    }

    [Fact]
    public async Task JobsPage_BadSeconds_ErrorNextToTheFieldAndNoJob()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        int before = (await Jobs.ListAsync(new JobQuery())).Count;

        await page.GotoAsync("/jobs");
        await page.FillAsync("#Wait_Seconds", "soon");
        await page.ClickAsync("#start-wait button[type=submit]");

        await Assertions.Expect(page.Locator("#Wait_Seconds ~ .error")).ToContainTextAsync("'soon' is not a whole number of seconds");
        await Assertions.Expect(page.Locator("#Wait_Seconds")).ToHaveValueAsync("soon");
        Assert.Equal(before, (await Jobs.ListAsync(new JobQuery())).Count);
    }

    [Fact]
    public async Task JobPage_UnknownJob_404()
    {
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;

        var response = await page.GotoAsync("/jobs/987654");

        Assert.Equal(404, response!.Status);
    }
}
