using System.Globalization;
using Fabric.Core.Lifecycle;
using Fabric.Instances.Lifecycle;
using Fabric.Instances.Qmp;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Instances.Jobs;

/// <summary>Kind <c>instance-stop</c> (argument <c>timeoutSeconds</c>, default 60): asks the guest to power off
/// (QMP <c>system_powerdown</c>, an ACPI power button press), waits for qemu to exit, then <c>quit</c>s and kills what is
/// left and removes the instance's folder; the instance is <c>stopped</c>, or <c>failed</c> when qemu cannot be ended.</summary>
internal sealed class StopInstanceJobHandler(InstanceWork work) : IJobHandler
{
    public string Kind => InstanceJobKinds.Stop;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        foreach (var (key, value) in arguments)
        {
            if (key != "timeoutSeconds")
            {
                errors.Add(new JobFieldError($"arguments.{key}", "an instance-stop job takes only 'timeoutSeconds'"));
            }
            else if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) || seconds is < 0 or > 3600)
            {
                errors.Add(new JobFieldError("arguments.timeoutSeconds", $"'{value}' is not a number of seconds from 0 to 3600"));
            }
        }

        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var token = context.CancellationToken;
        var instance = work.Instance(context, InstanceState.Stopping);
        var timeout = context.Job.Arguments.TryGetValue("timeoutSeconds", out var text)
            ? TimeSpan.FromSeconds(int.Parse(text, CultureInfo.InvariantCulture))
            : InstanceWork.DefaultStopTimeout;
        if (instance.Instance!.Hypervisor is not { } hypervisor)
        {
            await work.MoveAsync(context, instance, InstanceTrigger.Stopped, "no hypervisor: nothing runs");
            return;
        }

        try
        {
            await context.StepAsync("power off");
            if (await work.Driver.IsRunningAsync(hypervisor, instance.Name, token))
            {
                await PowerDownAsync(context, hypervisor, instance.Name, timeout, token);
            }
            else
            {
                context.Log($"no qemu runs for {instance.Name} on {hypervisor}");
            }

            await context.StepAsync("remove");
            await work.Driver.KillAsync(hypervisor, instance.Name, token);
            if (await work.Driver.IsRunningAsync(hypervisor, instance.Name, token))
            {
                throw new JobFailedException($"qemu for {instance.Name} still runs on {hypervisor} after the kill");
            }

            await work.MoveAsync(context, instance, InstanceTrigger.Stopped, $"qemu ended on {hypervisor}");
        }
        catch (Exception e) when (e is JobFailedException || InstanceWork.IsHypervisorFailure(e))
        {
            await work.MoveAsync(context, instance, InstanceTrigger.StopFailed, e.Message);
            throw e as JobFailedException ?? new JobFailedException(e.Message, e);
        }
        catch (OperationCanceledException)
        {
            // The instance may still run: it is failed until a stop or start clears it.
            await work.MoveAsync(context, instance, InstanceTrigger.StopFailed, "the stop was cancelled");
            throw;
        }
    }

    /// <summary><c>system_powerdown</c>, then wait for qemu to close the QMP connection (it exits when the guest powers
    /// off); after <paramref name="timeout"/> <c>quit</c>.</summary>
    private async Task PowerDownAsync(IJobContext context, string hypervisor, string instance, TimeSpan timeout, CancellationToken token)
    {
        await using var qmp = await work.Driver.ConnectQmpAsync(hypervisor, instance, token);
        (await qmp.ExecuteAsync("system_powerdown", null, token)).EnsureSuccess("system_powerdown");
        context.Log($"asked the guest to power off; waiting up to {timeout.TotalSeconds:0} s");
        try
        {
            // The event channel completes when the connection closes, i.e. when qemu has exited.
            await qmp.Events.Completion.WaitAsync(timeout, work.Time, token);
            context.Log("the guest powered off");
            return;
        }
        catch (TimeoutException)
        {
            context.Log($"the guest did not power off within {timeout.TotalSeconds:0} s; quitting qemu");
        }

        try
        {
            await qmp.ExecuteAsync("quit", null, token).WaitAsync(TimeSpan.FromSeconds(10), work.Time, token);
        }
        catch (Exception e) when (e is QmpConnectionException or TimeoutException)
        {
            // qemu closes the connection as it quits; the kill that follows ends it in any case.
        }
    }
}
