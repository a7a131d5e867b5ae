using System.Net;

namespace Fabric.Tftp.Channel;

/// <summary>Counts the transfers each client address holds, up to a limit per address. Entries go when their count
/// returns to zero, so the table holds only addresses with a transfer running.</summary>
internal sealed class ClientSlots(int maxPerClient)
{
    private readonly Dictionary<IPAddress, int> _held = [];
    private readonly Lock _lock = new();

    /// <summary>Takes a slot for <paramref name="client"/>; false when it already holds the limit.</summary>
    public bool TryAcquire(IPAddress client)
    {
        lock (_lock)
        {
            int held = _held.GetValueOrDefault(client);
            if (held >= maxPerClient)
            {
                return false;
            }

            _held[client] = held + 1;
            return true;
        }
    }

    public void Release(IPAddress client)
    {
        lock (_lock)
        {
            if (!_held.TryGetValue(client, out int held))
            {
                return;
            }

            if (held <= 1)
            {
                _held.Remove(client);
            }
            else
            {
                _held[client] = held - 1;
            }
        }
    }

    /// <summary>Transfers <paramref name="client"/> holds now.</summary>
    public int Held(IPAddress client)
    {
        lock (_lock)
        {
            return _held.GetValueOrDefault(client);
        }
    }
}
