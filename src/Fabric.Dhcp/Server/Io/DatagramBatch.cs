using System.Runtime.InteropServices;

namespace Fabric.Dhcp.Server.Io;

/// <summary>A fixed set of datagram slots in native memory (never moved by the GC, allocated once per socket
/// and direction): each slot has its bytes, its length and its peer (IPv4 address as the codec's big-endian value,
/// UDP port). The Linux channel hands the same memory to recvmmsg/sendmmsg through headers laid out next to it.</summary>
internal sealed unsafe class DatagramBatch : IDisposable
{
    private readonly byte* _data;
    private readonly int[] _lengths;
    private readonly uint[] _addresses;
    private readonly int[] _ports;
    private readonly int[] _errors;
    private readonly bool[] _truncated;
    private bool _disposed;

    public DatagramBatch(int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        Capacity = capacity;
        SlotSize = slotSize;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)capacity * (nuint)slotSize, 64);
        _lengths = new int[capacity];
        _addresses = new uint[capacity];
        _ports = new int[capacity];
        _errors = new int[capacity];
        _truncated = new bool[capacity];
        Headers = new MessageHeaders(capacity, _data, slotSize);
    }

    public int Capacity { get; }

    public int SlotSize { get; }

    /// <summary>Datagrams held (received, or queued to send).</summary>
    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The recvmmsg/sendmmsg headers over this batch's memory (Linux channel only).</summary>
    internal MessageHeaders Headers { get; }

    internal byte* SlotPointer(int index) => _data + ((nint)index * SlotSize);

    /// <summary>The whole slot, to receive into or to write a reply into.</summary>
    public Span<byte> Slot(int index)
    {
        Check(index, Capacity);
        return new Span<byte>(SlotPointer(index), SlotSize);
    }

    /// <summary>The bytes of datagram <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Datagram(int index)
    {
        Check(index, Count);
        return new ReadOnlySpan<byte>(SlotPointer(index), _lengths[index]);
    }

    public uint Address(int index) => _addresses[index];

    public int Port(int index) => _ports[index];

    /// <summary>The errno (or SocketError) of a datagram the kernel refused to send; 0 when sent.</summary>
    public int Error(int index) => _errors[index];

    /// <summary>True when a received datagram was longer than its slot (its tail is lost).</summary>
    public bool Truncated(int index) => _truncated[index];

    /// <summary>Empties the batch (the memory stays).</summary>
    public void Clear() => Count = 0;

    /// <summary>Records a received datagram in the next slot (its bytes are already there).</summary>
    public void Received(int length, uint address, int port, bool truncated = false)
    {
        Check(Count, Capacity);
        _lengths[Count] = length;
        _addresses[Count] = address;
        _ports[Count] = port;
        _errors[Count] = 0;
        _truncated[Count] = truncated;
        Count++;
    }

    /// <summary>The slot the next datagram to send is written into (<see cref="Commit"/> then adds it).</summary>
    public Span<byte> Next() => Slot(Count);

    /// <summary>Adds the datagram written into <see cref="Next"/>, to be sent to address:port.</summary>
    public void Commit(int length, uint address, int port) => Received(length, address, port);

    internal void SetError(int index, int error) => _errors[index] = error;

    private static void Check(int index, int limit)
    {
        if ((uint)index >= (uint)limit)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"A batch slot index must be below {limit}.");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Headers.Dispose();
        NativeMemory.AlignedFree(_data);
    }
}
