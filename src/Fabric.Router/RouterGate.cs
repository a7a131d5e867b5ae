using System.Collections.Concurrent;

namespace Fabric.Router;

/// <summary>One gate per router between its apply and its drift check, so the check never reads a router while an apply
/// of it runs (it would load the router and see it half applied). An apply waits for a check that is reading the router
/// to finish, then holds the router until it ends; a check that finds the router held skips it this round. Applies of one
/// router never run side by side (the job runner runs one job per node at a time), so one holder at a time is enough.</summary>
internal sealed class RouterGate
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>For an apply: holds <paramref name="router"/> until disposed, after a check reading it has finished.
    /// <see cref="Held.Waited"/> says whether one was reading.</summary>
    public async Task<Held> EnterApplyAsync(string router, CancellationToken cancellationToken)
    {
        var gate = Of(router);
        if (gate.Wait(0, CancellationToken.None))
        {
            return new Held(gate, waited: false);
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Held(gate, waited: true);
    }

    /// <summary>For the drift check: holds <paramref name="router"/> until disposed, or null while an apply holds it.</summary>
    public Held? TryEnterCheck(string router)
    {
        var gate = Of(router);
        return gate.Wait(0, CancellationToken.None) ? new Held(gate, waited: false) : null;
    }

    private SemaphoreSlim Of(string router) => _gates.GetOrAdd(router, _ => new SemaphoreSlim(1, 1));

    /// <summary>A router held by an apply or a check; disposing it lets the router go.</summary>
    internal sealed class Held(SemaphoreSlim gate, bool waited) : IDisposable
    {
        private int _released;

        /// <summary>The holder had to wait for the other one.</summary>
        public bool Waited { get; } = waited;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
