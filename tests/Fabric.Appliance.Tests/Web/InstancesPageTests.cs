using Fabric.Core.Events;
using Fabric.Instances.Operations;
using Fabric.Registry;
using Fabric.Remote.Hosts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Fabric.Appliance.Tests.Web;

/// <summary>The instances page in a real headless Chromium against a real appliance whose hypervisors (SSH targets
/// 10.0.0.x) are <see cref="Instances.FakeHypervisors"/>: launches, refusals and the migrate form's targets. Each test
/// adds its own hypervisors and instances (the appliance is shared by the web tests).</summary>
[Collection(WebCollection.Name)]
public sealed class InstancesPageTests(WebFixture fixture)
{
    private const string Pin = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGQzHOcMCfK5ByrmSWHRvkmDrXTEkJ3WqIHsYIOxEnTe";

    private IRegistry Registry => fixture.Services.GetRequiredService<IRegistry>();

    private async Task HypervisorAsync(string name, int octet, long memoryMiB)
    {
        var address = $"10.0.0.{octet}";
        var added = await Registry.AddNodeAsync(
            new NodeInput
            {
                Name = name,
                Role = "hardware",
                Macs = [$"52:54:00:00:7e:{octet:x2}"],
                MacField = "mac",
                CpuCores = 4,
                MemoryMiB = memoryMiB,
                SshAddress = address,
                SshHostKey = Pin,
                Labels = new Dictionary<string, string> { ["fabric.instances/accelerator"] = "tcg" },
            },
            Actor.Admin);
        Assert.True(added.Succeeded, added.Error?.ToString());
        fixture.Hypervisors.Script(new SshTarget(address, 22, "root", Pin));
    }

    private static ILocator Row(IPage page, string name) => page.Locator($"tr[data-instance='{name}']");

    [Fact]
    public async Task InstancesPage_LaunchFromTheForm_InstanceAppearsWithItsJobThenRuns()
    {
        await HypervisorAsync("whv-launch", 21, 65536);
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;

        await page.GotoAsync("/instances");
        await page.FillAsync("#Launch_Name", "wlaunch");
        await page.FillAsync("#Launch_Image", "debian");
        await page.FillAsync("#Launch_VCpus", "2");
        await page.FillAsync("#Launch_MemoryMiB", "1024");
        await page.FillAsync("#Launch_DiskVolume", "/srv/lab/wlaunch.img");
        await page.ClickAsync("#launch button[type=submit]");

        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync("Launching wlaunch: job ");
        var row = Row(page, "wlaunch");
        await Assertions.Expect(row).ToContainTextAsync("/srv/lab/wlaunch.img");
        await Assertions.Expect(row.Locator(".state").First).ToHaveTextAsync("running");
        Assert.NotNull(await page.Locator("#instances-table").GetAttributeAsync("hx-get"));
        Assert.Equal("whv-launch", Registry.FindNode("wlaunch")!.Instance!.Hypervisor);
        var job = (await fixture.Services.GetRequiredService<Fabric.Jobs.Running.IJobService>().ListAsync(new Fabric.Jobs.Model.JobQuery(Node: "wlaunch"))).Single();
        Assert.Equal("instance-create", job.Kind);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "instances.png"), FullPage = true });
    }

    [Fact]
    public async Task InstancesPage_NoHypervisorHasTheMemory_PlacementReasonShownAndNothingStored()
    {
        await HypervisorAsync("whv-small", 22, 1024);
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;

        await page.GotoAsync("/instances");
        await page.FillAsync("#Launch_Name", "whuge");
        await page.FillAsync("#Launch_VCpus", "1");
        await page.FillAsync("#Launch_MemoryMiB", "2000000");
        await page.FillAsync("#Launch_DiskVolume", "/srv/lab/whuge.img");
        await page.ClickAsync("#launch button[type=submit]");

        await Assertions.Expect(page.Locator("#launch .summary")).ToContainTextAsync("whv-small: memory short by");
        await Assertions.Expect(page.Locator("#Launch_Name")).ToHaveValueAsync("whuge");
        Assert.Null(Registry.FindNode("whuge"));
    }

    [Fact]
    public async Task InstancesPage_RunningInstance_MigrateFormListsOnlyTheHypervisorsThatFit()
    {
        await HypervisorAsync("whv-src", 31, 4096);
        await HypervisorAsync("whv-fits", 32, 4096);
        await HypervisorAsync("whv-tiny", 33, 256);
        var operations = fixture.Services.GetRequiredService<IInstanceOperations>();
        var created = await operations.CreateAsync(
            new InstanceRequest { Name = "wmove", VCpus = 1, MemoryMiB = 3072, DiskVolume = "/srv/lab/wmove.img", Hypervisor = "whv-src" }, "admin");
        Assert.True(created.Succeeded, created.Error?.ToString());
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;

        await page.GotoAsync("/instances");
        var row = Row(page, "wmove");
        await Assertions.Expect(row.Locator(".state").First).ToHaveTextAsync("running");
        var select = row.Locator("form.migrate select");

        // Other tests' big hypervisors may fit as well; the small one and the source never do.
        var options = await select.Locator("option").AllInnerTextsAsync();
        Assert.Contains("whv-fits", options);
        Assert.DoesNotContain("whv-tiny", options);
        Assert.DoesNotContain("whv-src", options);
        Assert.Equal(operations.MigrationTargets("wmove"), options);

        await select.SelectOptionAsync("whv-fits");
        await row.Locator("form.migrate button").ClickAsync();
        await Assertions.Expect(page.Locator(".notice")).ToContainTextAsync("migrate wmove: job ");
        await Assertions.Expect(Row(page, "wmove").Locator("td.hypervisor")).ToHaveTextAsync("whv-fits");
        await Assertions.Expect(Row(page, "wmove").Locator(".state").First).ToHaveTextAsync("running");
    }

    [Fact]
    public async Task InstancesPage_MigrationUnderWay_BytesSentRemainingAndExpectedDowntimeShownLive()
    {
        await HypervisorAsync("whv-live-a", 41, 4096);
        await HypervisorAsync("whv-live-b", 42, 4096);
        var operations = fixture.Services.GetRequiredService<IInstanceOperations>();
        var created = await operations.CreateAsync(
            new InstanceRequest { Name = "wlive", VCpus = 1, MemoryMiB = 1024, DiskVolume = "/srv/lab/wlive.img", Hypervisor = "whv-live-a" }, "admin");
        Assert.True(created.Succeeded, created.Error?.ToString());
        var (context, page) = await fixture.SignedInPageAsync();
        await using var _ = context;
        await page.GotoAsync("/instances");
        await Assertions.Expect(Row(page, "wlive").Locator(".state").First).ToHaveTextAsync("running");

        // query-migrate answers "active" for about a minute (five polls a second), then "completed".
        fixture.Hypervisors.ActiveMigratePolls = 300;
        try
        {
            var migrated = await operations.MigrateAsync("wlive", "whv-live-b", "admin");
            Assert.True(migrated.Succeeded, migrated.Error?.ToString());

            var live = Row(page, "wlive").Locator(".migration");
            await Assertions.Expect(live).ToHaveTextAsync("active: 100.0 MiB sent, 160.0 MiB remaining, expected downtime 42 ms");
            await Assertions.Expect(Row(page, "wlive").Locator(".state").First).ToHaveTextAsync("migrating");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(WebFixture.ArtifactsDir, "instances-migrating.png"), FullPage = true });
        }
        finally
        {
            fixture.Hypervisors.ActiveMigratePolls = 0;
        }

        await Assertions.Expect(Row(page, "wlive").Locator("td.hypervisor")).ToHaveTextAsync("whv-live-b", new() { Timeout = 120_000 });
    }
}
