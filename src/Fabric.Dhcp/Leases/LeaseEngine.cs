using Fabric.Core;

namespace Fabric.Dhcp.Leases;

/// <summary>Lease engine limits.</summary>
/// <param name="OfferTimeout">How long an offered address is held for the client (RFC 2131 4.3.1).</param>
/// <param name="MaxOutstandingOffers">Cap on pool offers held at once; bounds memory under a DISCOVER flood.
/// Reserved nodes are not counted and are always served.</param>
/// <param name="DeclineQuarantine">How long a DECLINEd address is kept out of the pool (RFC 2131 4.3.3).</param>
public sealed record LeaseEngineOptions(TimeSpan OfferTimeout, int MaxOutstandingOffers, TimeSpan DeclineQuarantine)
{
    public static readonly LeaseEngineOptions Default = new(TimeSpan.FromSeconds(30), 4096, TimeSpan.FromHours(1));
}

/// <summary>What the client asks for, with everything the engine needs already looked up.</summary>
internal readonly record struct LeaseQuery(
    Network Network,
    MacAddress Mac,
    byte[]? ClientId,
    uint Requested,
    uint ClientAddress,
    uint ServerIdentifier,
    uint OurServerIdentifier,
    string? Hostname,
    Node? Reservation,
    Func<uint, MacAddress, bool>? IsReservedForOther);

internal enum LeaseOutcome
{
    Offer,
    Ack,
    Nak,
    Ignore,
}

internal readonly record struct LeaseDecision(LeaseOutcome Outcome, uint Address, TimeSpan LeaseTime, LeaseRecord? Persist, string? Reason)
{
    public static LeaseDecision Ignore(string reason, LeaseRecord? persist = null) => new(LeaseOutcome.Ignore, 0, default, persist, reason);

    public static LeaseDecision Nak(string reason) => new(LeaseOutcome.Nak, 0, default, null, reason);
}

/// <summary>The DHCP lease state machine of RFC 2131 section 4.3, over all networks. Pure: no I/O; time
/// comes from the injected <see cref="TimeProvider"/>; persistence is the caller's job (every ACK decision
/// carries the record to commit before the ACK is sent). Thread-safe (one lock).</summary>
internal sealed class LeaseEngine
{
    private readonly TimeProvider _time;
    private readonly LeaseEngineOptions _options;
    private readonly Dictionary<string, Pool> _pools = new(StringComparer.Ordinal);
    private readonly Queue<Entry> _offerQueue = new();
    private readonly object _gate = new();
    private int _outstandingOffers;

    public LeaseEngine(TimeProvider time, LeaseEngineOptions? options = null)
    {
        _time = time;
        _options = options ?? LeaseEngineOptions.Default;
    }

    public int OutstandingOffers
    {
        get
        {
            lock (_gate)
            {
                return _outstandingOffers;
            }
        }
    }

    /// <summary>Number of address entries held in memory (bounded by pool sizes plus reservations).</summary>
    public int EntryCount
    {
        get
        {
            lock (_gate)
            {
                return _pools.Values.Sum(p => p.ByAddress.Count);
            }
        }
    }

    public void Restore(IEnumerable<LeaseRecord> records)
    {
        lock (_gate)
        {
            foreach (var r in records)
            {
                var pool = GetPool(r.Network);
                var e = new Entry(r.Address)
                {
                    Mac = r.Mac,
                    ClientId = r.ClientId,
                    Hostname = r.Hostname,
                    Node = r.Node,
                    State = r.State == LeaseState.Offered ? LeaseState.Expired : r.State,
                    Starts = r.Starts,
                    Ends = r.Ends,
                };
                pool.ByAddress[r.Address] = e;
                if (e.State != LeaseState.Declined)
                {
                    if (!pool.ByMac.TryGetValue(r.Mac, out var existing) || existing.Ends < e.Ends)
                    {
                        pool.ByMac[r.Mac] = e;
                    }
                }
            }
        }
    }

    /// <summary>DHCPDISCOVER (RFC 2131 4.3.1): choose an address and hold it for the client.</summary>
    public LeaseDecision Discover(in LeaseQuery q)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PurgeOffers(now);
            var pool = GetPool(q.Network.Name);
            if (q.Reservation is null && _outstandingOffers >= _options.MaxOutstandingOffers && !pool.ByMac.ContainsKey(q.Mac))
            {
                // Checked before address selection so that a flood costs nothing but this lookup.
                return LeaseDecision.Ignore("offer limit");
            }

            var entry = Choose(pool, q, now, out string? reason);
            if (entry is null)
            {
                return LeaseDecision.Ignore(reason ?? "no address");
            }

            if (entry.State == LeaseState.Bound && entry.Mac == q.Mac && entry.Ends > now)
            {
                // The client already holds it: offer the same binding (RFC 2131 4.3.1, first choice).
                return new LeaseDecision(LeaseOutcome.Offer, entry.Address, q.Network.LeaseTime, null, null);
            }

            bool counts = q.Reservation is null;
            if (counts && !entry.CapHeld && _outstandingOffers >= _options.MaxOutstandingOffers)
            {
                return LeaseDecision.Ignore("offer limit");
            }

            Assign(pool, entry, q);
            entry.State = LeaseState.Offered;
            entry.OfferExpires = now + _options.OfferTimeout;
            if (counts && !entry.CapHeld)
            {
                entry.CapHeld = true;
                _outstandingOffers++;
                _offerQueue.Enqueue(entry);
            }

            return new LeaseDecision(LeaseOutcome.Offer, entry.Address, q.Network.LeaseTime, null, null);
        }
    }

    /// <summary>DHCPREQUEST in SELECTING, INIT-REBOOT, RENEWING or REBINDING state (RFC 2131 4.3.2).</summary>
    public LeaseDecision Request(in LeaseQuery q)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PurgeOffers(now);
            var pool = GetPool(q.Network.Name);
            if (q.ServerIdentifier != 0)
            {
                // SELECTING.
                if (q.ServerIdentifier != q.OurServerIdentifier)
                {
                    // The client chose another server: release what we offered it.
                    if (pool.ByMac.TryGetValue(q.Mac, out var offered) && offered.State == LeaseState.Offered)
                    {
                        ReleaseCap(offered);
                        offered.OfferExpires = now;
                    }

                    return LeaseDecision.Ignore("client selected another server");
                }

                uint wanted = q.Requested != 0 ? q.Requested : q.ClientAddress;
                if (wanted == 0)
                {
                    return LeaseDecision.Nak("no requested address");
                }

                if (pool.ByMac.TryGetValue(q.Mac, out var mine) && mine.Address == wanted && mine.State != LeaseState.Declined)
                {
                    return Bind(pool, mine, q, now);
                }

                // No matching offer (e.g. it was made before a restart): bind only if this address is what
                // the client would be given now.
                var fresh = Choose(pool, q with { Requested = wanted }, now, out _);
                if (fresh is null || fresh.Address != wanted)
                {
                    return LeaseDecision.Nak("requested address was not offered to this client");
                }

                return Bind(pool, fresh, q, now);
            }

            uint address = q.Requested != 0 ? q.Requested : q.ClientAddress;
            if (address == 0)
            {
                return LeaseDecision.Ignore("request without address");
            }

            // INIT-REBOOT (requested set) or RENEWING/REBINDING (ciaddr set).
            if (!Ipv4.IsHostAddress(q.Network.Cidr, Ipv4.FromUInt32(address)))
            {
                return LeaseDecision.Nak("address not on this network");
            }

            if (q.ClientAddress == 0 && q.Reservation is null && !pool.ByMac.ContainsKey(q.Mac))
            {
                // INIT-REBOOT from a client this server has no record of (no lease, no reservation): RFC 2131 4.3.2
                // says the server MUST remain silent (another server may own the client), and nothing is bound.
                return LeaseDecision.Ignore("init-reboot from a client with no record");
            }

            var entry = Choose(pool, q with { Requested = address }, now, out string? reason);
            if (entry is null)
            {
                return q.Reservation is null && !q.Network.ServeUnknown
                    ? LeaseDecision.Ignore(reason ?? "not served")
                    : LeaseDecision.Nak(reason ?? "no address");
            }

            if (entry.Address != address)
            {
                return LeaseDecision.Nak("requested address is not available to this client");
            }

            return Bind(pool, entry, q, now);
        }
    }

    /// <summary>DHCPDECLINE (RFC 2131 4.3.3): the address is in use on the wire; quarantine it. Ignored unless
    /// the address is leased to this very client (MAC and client id).</summary>
    public LeaseDecision Decline(in LeaseQuery q)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var pool = GetPool(q.Network.Name);
            if (q.ServerIdentifier != 0 && q.ServerIdentifier != q.OurServerIdentifier)
            {
                return LeaseDecision.Ignore("decline for another server");
            }

            if (!pool.ByAddress.TryGetValue(q.Requested, out var e) || !Owns(e, q) || e.State is LeaseState.Declined or LeaseState.Released)
            {
                return LeaseDecision.Ignore("decline for an address this client does not hold");
            }

            ReleaseCap(e);
            if (pool.ByMac.TryGetValue(q.Mac, out var m) && ReferenceEquals(m, e))
            {
                pool.ByMac.Remove(q.Mac);
            }

            e.State = LeaseState.Declined;
            e.Starts = now;
            e.Ends = now + _options.DeclineQuarantine;
            return new LeaseDecision(LeaseOutcome.Ignore, e.Address, default, ToRecord(q.Network.Name, e), "declined");
        }
    }

    /// <summary>DHCPRELEASE (RFC 2131 4.3.4). Ignored unless the lease belongs to this client.</summary>
    public LeaseDecision Release(in LeaseQuery q)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var pool = GetPool(q.Network.Name);
            if (!pool.ByAddress.TryGetValue(q.ClientAddress, out var e) || !Owns(e, q) || e.State != LeaseState.Bound)
            {
                return LeaseDecision.Ignore("release for a lease this client does not hold");
            }

            e.State = LeaseState.Released;
            e.Ends = now;
            return new LeaseDecision(LeaseOutcome.Ignore, e.Address, default, ToRecord(q.Network.Name, e), "released");
        }
    }

    public IReadOnlyList<LeaseRecord> Snapshot()
    {
        lock (_gate)
        {
            return _pools.SelectMany(p => p.Value.ByAddress.Values.Select(e => ToRecord(p.Key, e))).ToList();
        }
    }

    private static bool Owns(Entry e, in LeaseQuery q) =>
        e.Mac == q.Mac && (e.ClientId is null || (q.ClientId is not null && e.ClientId.AsSpan().SequenceEqual(q.ClientId)));

    private LeaseDecision Bind(Pool pool, Entry e, in LeaseQuery q, DateTimeOffset now)
    {
        ReleaseCap(e);
        Assign(pool, e, q);
        e.State = LeaseState.Bound;
        e.Starts = now;
        e.Ends = now + q.Network.LeaseTime;
        return new LeaseDecision(LeaseOutcome.Ack, e.Address, q.Network.LeaseTime, ToRecord(q.Network.Name, e), null);
    }

    private static void Assign(Pool pool, Entry e, in LeaseQuery q)
    {
        if (e.Mac != q.Mac && pool.ByMac.TryGetValue(e.Mac, out var old) && ReferenceEquals(old, e))
        {
            pool.ByMac.Remove(e.Mac);
        }

        if (pool.ByMac.TryGetValue(q.Mac, out var previous) && !ReferenceEquals(previous, e) && previous.State != LeaseState.Declined)
        {
            // The client moves to another address (e.g. it became a reserved node): free its old one.
            if (previous.State is LeaseState.Bound or LeaseState.Offered)
            {
                previous.State = LeaseState.Released;
                previous.Ends = previous.Starts;
            }
        }

        e.Mac = q.Mac;
        e.ClientId = q.ClientId;
        e.Hostname = q.Reservation?.Name ?? q.Hostname;
        e.Node = q.Reservation?.Name;
        pool.ByMac[q.Mac] = e;
        pool.ByAddress[e.Address] = e;
    }

    /// <summary>Address selection. Reserved node: its registry IP. Otherwise, in order: the client's current
    /// or last address, the address it asks for, a never-used pool address, the oldest free lease.</summary>
    private static Entry? Choose(Pool pool, in LeaseQuery q, DateTimeOffset now, out string? reason)
    {
        reason = null;
        if (q.Reservation is { } node)
        {
            if (node.Ip is null || !Ipv4.IsHostAddress(q.Network.Cidr, node.Ip))
            {
                reason = "reserved address not on this network";
                return null;
            }

            uint ip = Ipv4.ToUInt32(node.Ip);
            if (pool.ByAddress.TryGetValue(ip, out var held))
            {
                if (held.Mac == q.Mac || IsFree(held, now))
                {
                    return held;
                }

                reason = "reserved address held by another client";
                return null;
            }

            return new Entry(ip);
        }

        if (!q.Network.ServeUnknown || q.Network.PoolStart is null || q.Network.PoolEnd is null)
        {
            reason = "unknown client not served on this network";
            return null;
        }

        if (pool.ByMac.TryGetValue(q.Mac, out var mine) && mine.State != LeaseState.Declined && Allocatable(q, mine.Address))
        {
            return mine;
        }

        if (q.Requested != 0 && Allocatable(q, q.Requested))
        {
            if (!pool.ByAddress.TryGetValue(q.Requested, out var e))
            {
                return new Entry(q.Requested);
            }

            if (e.Mac == q.Mac && e.State != LeaseState.Declined ? true : IsFree(e, now))
            {
                return e;
            }
        }

        uint start = Ipv4.ToUInt32(q.Network.PoolStart);
        uint end = Ipv4.ToUInt32(q.Network.PoolEnd);
        if (pool.Cursor < start || pool.Cursor > end)
        {
            pool.Cursor = start;
        }

        // Never-used addresses first, so that released ones keep their affinity as long as possible.
        while (!pool.FreshExhausted)
        {
            uint a = pool.Cursor;
            if (a == end)
            {
                pool.FreshExhausted = true;
            }
            else
            {
                pool.Cursor++;
            }

            if (!pool.ByAddress.ContainsKey(a) && Allocatable(q, a))
            {
                return new Entry(a);
            }
        }

        // Then the free entry that ended first (oldest first).
        Entry? best = null;
        foreach (var e in pool.ByAddress.Values)
        {
            if (IsFree(e, now) && q.Network.InPool(Ipv4.FromUInt32(e.Address)) && Allocatable(q, e.Address)
                && (best is null || FreeSince(e) < FreeSince(best)))
            {
                best = e;
            }
        }

        if (best is null)
        {
            reason = "pool exhausted";
        }

        return best;
    }

    private static bool Allocatable(in LeaseQuery q, uint address)
    {
        var net = q.Network;
        if (!InPoolHost(net, address) || address == q.OurServerIdentifier)
        {
            return false;
        }

        if (net.Gateway is not null && Ipv4.ToUInt32(net.Gateway) == address)
        {
            return false;
        }

        return q.IsReservedForOther is null || !q.IsReservedForOther(address, q.Mac);
    }

    /// <summary><see cref="Network.InPool"/> and <see cref="Ipv4.IsHostAddress"/> on the address's value, without
    /// making an <see cref="System.Net.IPAddress"/> for each candidate.</summary>
    private static bool InPoolHost(Network net, uint address)
    {
        if (net.PoolStart is null || net.PoolEnd is null || net.Cidr.BaseAddress.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
        {
            return false;
        }

        uint mask = Ipv4.Mask(net.Cidr);
        if ((address & mask) != (Ipv4.ToUInt32(net.Cidr.BaseAddress) & mask))
        {
            return false;
        }

        if (net.Cidr.PrefixLength < 31 && ((address & ~mask) == 0 || (address | mask) == uint.MaxValue))
        {
            return false;
        }

        return address >= Ipv4.ToUInt32(net.PoolStart) && address <= Ipv4.ToUInt32(net.PoolEnd);
    }

    private static bool IsFree(Entry e, DateTimeOffset now) => e.State switch
    {
        LeaseState.Offered => e.OfferExpires <= now,
        LeaseState.Bound => e.Ends <= now,
        LeaseState.Declined => e.Ends <= now,
        _ => true,
    };

    private static DateTimeOffset FreeSince(Entry e) => e.State == LeaseState.Offered ? e.OfferExpires : e.Ends;

    private void ReleaseCap(Entry e)
    {
        if (e.CapHeld)
        {
            e.CapHeld = false;
            _outstandingOffers--;
        }
    }

    private void PurgeOffers(DateTimeOffset now)
    {
        int budget = _offerQueue.Count;
        while (budget-- > 0 && _offerQueue.TryPeek(out var e))
        {
            if (!e.CapHeld)
            {
                _offerQueue.Dequeue();
                continue;
            }

            if (e.OfferExpires > now)
            {
                break;
            }

            _offerQueue.Dequeue();
            e.CapHeld = false;
            _outstandingOffers--;
        }
    }

    private Pool GetPool(string network)
    {
        if (!_pools.TryGetValue(network, out var pool))
        {
            pool = new Pool();
            _pools[network] = pool;
        }

        return pool;
    }

    private static LeaseRecord ToRecord(string network, Entry e) =>
        new(e.Address, network, e.Mac, e.ClientId, e.Hostname, e.Node, e.State, e.Starts, e.Ends);

    private sealed class Pool
    {
        public Dictionary<uint, Entry> ByAddress { get; } = [];

        public Dictionary<MacAddress, Entry> ByMac { get; } = [];

        public uint Cursor { get; set; }

        public bool FreshExhausted { get; set; }
    }

    private sealed class Entry(uint address)
    {
        public uint Address { get; } = address;

        public MacAddress Mac { get; set; }

        public byte[]? ClientId { get; set; }

        public string? Hostname { get; set; }

        public string? Node { get; set; }

        public LeaseState State { get; set; } = LeaseState.Expired;

        public DateTimeOffset Starts { get; set; }

        public DateTimeOffset Ends { get; set; }

        public DateTimeOffset OfferExpires { get; set; }

        public bool CapHeld { get; set; }
    }
}
