using System.Globalization;
using System.Text.Json.Nodes;
using Fabric.Instances.Hypervisor;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Migration;

/// <summary>One live migration: the instance as the target must run it, where it goes, and the limits.</summary>
/// <param name="TargetSpec">The instance's qemu on the target (same CPU model, memory and MAC as on the source).</param>
/// <param name="IncomingUri">Where the target listens, e.g. <c>tcp:10.0.0.12:49152</c>.</param>
public sealed record MigrationPlan(string Instance, string Source, string Target, QemuSpec TargetSpec, string IncomingUri, int DowntimeMs, int BandwidthMiBps);

/// <summary>How a migration ended. <see cref="Info"/> is the source's last <c>query-migrate</c> (total time, downtime).</summary>
public sealed record MigrationOutcome(bool Succeeded, string? Reason, MigrationInfo? Info);

/// <summary>The live migration state machine: launch the target waiting (<c>-incoming defer</c>), <c>migrate-incoming</c>,
/// set downtime limit and bandwidth on the source, <c>migrate</c>, poll <c>query-migrate</c> into
/// the <c>progress</c> callback every <see cref="PollInterval"/> until it ends, then stop the source. On any failure or
/// cancellation: <c>migrate_cancel</c> on the source, the target's qemu removed, the source left running, and the
/// outcome says why; unless the source reports the migration <c>completed</c> after the cancel (qemu finished first):
/// then the guest runs only on the target, and the outcome is a success. The registry is the caller's: it changes only
/// on success.</summary>
public sealed class LiveMigration(IHypervisorDriver driver, TimeProvider time)
{
    /// <summary>Progress reaches the job five times a second.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public async Task<MigrationOutcome> RunAsync(MigrationPlan plan, IProgress<MigrationInfo>? progress, CancellationToken cancellationToken)
    {
        QmpClient? source = null;
        QmpClient? target = null;
        bool targetLaunched = false;
        bool migrateSent = false;
        MigrationInfo? last = null;
        try
        {
            source = await driver.ConnectQmpAsync(plan.Source, plan.Instance, cancellationToken).ConfigureAwait(false);
            await driver.LaunchAsync(plan.Target, plan.TargetSpec with { Incoming = true }, cancellationToken).ConfigureAwait(false);
            targetLaunched = true;
            target = await driver.ConnectQmpAsync(plan.Target, plan.Instance, cancellationToken).ConfigureAwait(false);
            (await target.ExecuteAsync("migrate-incoming", new JsonObject { ["uri"] = plan.IncomingUri }, cancellationToken).ConfigureAwait(false))
                .EnsureSuccess("migrate-incoming");

            var parameters = new JsonObject
            {
                ["downtime-limit"] = plan.DowntimeMs,
                ["max-bandwidth"] = (long)plan.BandwidthMiBps * 1024 * 1024,
            };
            (await source.ExecuteAsync("migrate-set-parameters", parameters, cancellationToken).ConfigureAwait(false)).EnsureSuccess("migrate-set-parameters");
            migrateSent = true;
            (await source.ExecuteAsync("migrate", new JsonObject { ["uri"] = plan.IncomingUri }, cancellationToken).ConfigureAwait(false)).EnsureSuccess("migrate");

            while (true)
            {
                var value = (await source.ExecuteAsync("query-migrate", null, cancellationToken).ConfigureAwait(false)).EnsureSuccess("query-migrate");
                if (!MigrationInfo.TryRead(value, out last, out var problem))
                {
                    throw new QmpConnectionException(problem!);
                }

                progress?.Report(last!);
                if (last!.Finished)
                {
                    break;
                }

                await Task.Delay(PollInterval, time, cancellationToken).ConfigureAwait(false);
            }

            if (!last.Succeeded)
            {
                var why = last.Error is null ? $"the migration ended {last.Status}" : $"the migration {last.Status}: {last.Error}";
                return await AbortAsync(plan, source, target, migrateSent: false, targetLaunched, why, last).ConfigureAwait(false);
            }

            // The target runs the guest now; the source's qemu is paused and done.
            await AnnounceAsync(target).ConfigureAwait(false);
            await driver.KillAsync(plan.Source, plan.Instance, CancellationToken.None).ConfigureAwait(false);
            return new MigrationOutcome(true, null, last);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await AbortAsync(plan, source, target, migrateSent, targetLaunched, "the migration was cancelled", last).ConfigureAwait(false);
        }
        catch (Exception e) when (e is QmpCommandException or QmpConnectionException or IOException or Remote.RemoteHostException or Remote.RemoteCommandFailedException)
        {
            return await AbortAsync(plan, source, target, migrateSent, targetLaunched, e.Message, last).ConfigureAwait(false);
        }
        finally
        {
            if (target is not null)
            {
                await target.DisposeAsync().ConfigureAwait(false);
            }

            if (source is not null)
            {
                await source.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>QMP <c>announce-self</c>'s arguments: five rounds of RARP (and a guest announcement where the NIC
    /// supports it), the first after 50 ms, then 150, 250... ms apart.</summary>
    public static JsonObject AnnounceArguments() => new() { ["initial"] = 50, ["max"] = 550, ["rounds"] = 5, ["step"] = 100 };

    /// <summary>The target tells the network where the guest is now (<c>announce-self</c>), so switches that learned the
    /// guest's MAC on the source's port move it at once rather than when the guest next sends. qemu also announces after
    /// an incoming migration on its own (on its timer); asking here makes the announcement part of Fabric's switch-over
    /// rather than a qemu default. A failure here is not the migration's: the guest runs on the target either way.</summary>
    private async Task AnnounceAsync(QmpClient? target)
    {
        if (target is null)
        {
            return;
        }

        try
        {
            await target.ExecuteAsync("announce-self", AnnounceArguments(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), time).ConfigureAwait(false);
        }
        catch (Exception e) when (e is QmpConnectionException or TimeoutException)
        {
            // The guest runs on the target either way; switches learn its port from its next frame.
        }
    }

    private async Task<MigrationOutcome> AbortAsync(MigrationPlan plan, QmpClient? source, QmpClient? target, bool migrateSent, bool targetLaunched, string reason, MigrationInfo? last)
    {
        var notes = new List<string>();
        if (migrateSent && source is not null)
        {
            try
            {
                var cancelled = await source.ExecuteAsync("migrate_cancel", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), time).ConfigureAwait(false);
                if (!cancelled.Succeeded)
                {
                    notes.Add($"migrate_cancel: {cancelled.Error!.Description}");
                }

                // qemu may have finished between the last poll and the cancel: the source is then paused for good and
                // the guest runs only on the target, which must not be removed. That is a migration that succeeded.
                var after = await source.ExecuteAsync("query-migrate", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30), time).ConfigureAwait(false);
                if (after.Succeeded && MigrationInfo.TryRead(after.Value, out var info, out _) && info!.Succeeded)
                {
                    await AnnounceAsync(target).ConfigureAwait(false);
                    await driver.KillAsync(plan.Source, plan.Instance, CancellationToken.None).ConfigureAwait(false);
                    return new MigrationOutcome(true, null, info);
                }
            }
            catch (Exception e) when (e is QmpConnectionException or TimeoutException)
            {
                notes.Add($"migrate_cancel: {e.Message}");
            }
        }

        if (targetLaunched)
        {
            try
            {
                await driver.KillAsync(plan.Target, plan.Instance, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Remote.RemoteHostException or Remote.RemoteCommandFailedException or IOException)
            {
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"removing the target's qemu on {plan.Target}: {e.Message}"));
            }
        }

        var text = $"{reason}; the instance keeps running on {plan.Source}";
        return new MigrationOutcome(false, notes.Count == 0 ? text : $"{text} ({string.Join("; ", notes)})", last);
    }
}
