using Microsoft.Extensions.Hosting;

namespace Fabric.Jobs.Running;

/// <summary>A hosted service that runs one round of checks every interval on the injected clock: the storage health
/// check, the router drift check, the instance monitor. A round that throws is handed to <see cref="RoundFailed"/> and the
/// next one runs at its tick; a tick that falls while a round still runs is kept, so rounds follow the interval, not the
/// interval plus the time a round takes.</summary>
public abstract class PeriodicRounds(TimeSpan interval, TimeProvider time, bool firstRoundAtStart) : BackgroundService
{
    /// <summary>One round.</summary>
    protected abstract Task RoundAsync(CancellationToken cancellationToken);

    /// <summary>A round threw (the service goes on).</summary>
    protected abstract void RoundFailed(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, time);
        if (!firstRoundAtStart && !await WaitAsync(timer, stoppingToken))
        {
            return;
        }

        do
        {
            try
            {
                await RoundAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                RoundFailed(e);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
