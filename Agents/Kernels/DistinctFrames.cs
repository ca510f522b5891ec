using System.IO.Hashing;

namespace GridTime.Agents.Kernels;

/// <summary>
/// The distinct observations of one rollout, kept once each in a frame store: a frame is looked up by its
/// bytes and, if no identical frame is kept, stored in the next free slot. The rollout pass encodes each
/// distinct frame once and sums, before the encoder's backward pass, the gradients of every frame that
/// shares it.
/// <para>
/// Why: the encoder (two convolutions and a linear layer) is about three fifths of a frame's FLOPs, and in a
/// grid world the same picture comes back often within a rollout (an agent that waits, walks into a wall or
/// returns; two environments with the agent and the target in the same cells). The encoder is a function of
/// the frame alone, so identical frames have identical activations, and its weight gradients are linear in
/// the gradient at its output: Σ_f ∂W(x, g_f) = ∂W(x, Σ_f g_f), through the same ReLU masks. The result
/// differs from encoding every frame only in the order of the sums.
/// </para>
/// Frames are compared byte for byte; the hash (XxHash3, 64 bits) only finds the candidate. A caller that knows
/// which frames are the same picture (the environment draws each (agent cell, target cell) once and keys it) gives
/// a key instead (<see cref="FindKey"/>, <see cref="AddKeyed"/>): hashing and comparing a step's 32 frames of
/// 9,408 bytes took 0.8 ms of a 44 ms update (nac, 256 bits, Intel Xeon). Keyed frames are found by key only.
/// </summary>
internal sealed unsafe class DistinctFrames
{
    private readonly Dictionary<ulong, int> _slotOfHash;
    private readonly Dictionary<int, int> _slotOfKey;
    private readonly byte* _store;
    private readonly int _frameBytes, _capacity;

    /// <summary>A table over <paramref name="capacity"/> slots of <paramref name="frameBytes"/> bytes at <paramref name="store"/>.</summary>
    public DistinctFrames(byte* store, int frameBytes, int capacity)
    {
        _store = store;
        _frameBytes = frameBytes;
        _capacity = capacity;
        _slotOfHash = new Dictionary<ulong, int>(capacity);
        _slotOfKey = new Dictionary<int, int>(capacity);
    }

    /// <summary>The number of distinct frames kept: slots 0 .. Count − 1.</summary>
    public int Count { get; private set; }

    /// <summary>Forgets every frame (a new rollout).</summary>
    public void Clear()
    {
        _slotOfHash.Clear();
        _slotOfKey.Clear();
        Count = 0;
    }

    /// <summary>The bytes of slot <paramref name="slot"/> (the store may run on past the table's slots, for frames the caller does not keep).</summary>
    public byte* Slot(int slot) => _store + ((long)slot * _frameBytes);

    /// <summary>
    /// The slot holding a frame identical to <paramref name="frame"/>, or −1 if there is none; its hash in
    /// <paramref name="hash"/> for <see cref="Add"/>.
    /// </summary>
    public int Find(ReadOnlySpan<byte> frame, out ulong hash)
    {
        hash = XxHash3.HashToUInt64(frame);
        return _slotOfHash.TryGetValue(hash, out int slot) && frame.SequenceEqual(new ReadOnlySpan<byte>(Slot(slot), _frameBytes)) ? slot : -1;
    }

    /// <summary>
    /// Copies <paramref name="frame"/> (with the <paramref name="hash"/> <see cref="Find"/> gave) into the next
    /// slot and gives the slot. A frame whose hash belongs to another frame (a 64-bit collision) is kept but
    /// not found again: it is encoded twice, never confused.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every slot is taken.</exception>
    public int Add(ReadOnlySpan<byte> frame, ulong hash)
    {
        int slot = Keep(frame);
        _slotOfHash.TryAdd(hash, slot);
        return slot;
    }

    /// <summary>The slot holding the frame added with key <paramref name="key"/> (<see cref="AddKeyed"/>), or −1 if there is none.</summary>
    public int FindKey(int key) => _slotOfKey.TryGetValue(key, out int slot) ? slot : -1;

    /// <summary>Copies <paramref name="frame"/>, named by <paramref name="key"/>, into the next slot and gives the slot.</summary>
    /// <exception cref="InvalidOperationException">Every slot is taken.</exception>
    public int AddKeyed(ReadOnlySpan<byte> frame, int key)
    {
        int slot = Keep(frame);
        _slotOfKey.TryAdd(key, slot);
        return slot;
    }

    /// <summary>Forgets the frames in slots <paramref name="count"/> onwards (a step refused after keeping some of its frames).</summary>
    public void ForgetFrom(int count)
    {
        foreach ((ulong hash, int slot) in _slotOfHash)
        {
            if (slot >= count)
            {
                _slotOfHash.Remove(hash);
            }
        }

        foreach ((int key, int slot) in _slotOfKey)
        {
            if (slot >= count)
            {
                _slotOfKey.Remove(key);
            }
        }

        Count = Math.Min(Count, count);
    }

    private int Keep(ReadOnlySpan<byte> frame)
    {
        if (Count == _capacity)
        {
            throw new InvalidOperationException($"the rollout's {_capacity} frame slots are all taken");
        }

        int slot = Count++;
        frame.CopyTo(new Span<byte>(Slot(slot), _frameBytes));
        return slot;
    }

    /// <summary>
    /// The sum of the rows that show each frame: <paramref name="frameSums"/>[f] = Σ rows[r] over the r with
    /// <paramref name="frameOfRow"/>[r] = f, for <paramref name="count"/> rows of <paramref name="width"/> floats
    /// (adjacent) and frames below <paramref name="frameCount"/> ([frameCount, width], overwritten; a frame no row shows
    /// gets zeros). A gradient that reaches a function of the frame alone through every row showing it sums this way.
    /// Where <paramref name="columnSums"/> is given, the sum of all rows goes there too ([width], overwritten), from the
    /// same pass over the rows. Each sum is that of adding its rows in order to zero (the first row is added to a zero
    /// vector in a register, not to a cleared buffer, so −0 sums to +0 as it would).
    /// Why one pass: the LSTM's ∂z over a rollout is 2.6 MB at H = 256, read once here for its frames' sums and its
    /// biases' gradient rather than twice.
    /// </summary>
    public static void SumPerFrame(float* rows, int count, int width, int* frameOfRow, int frameCount, float* frameSums, float* columnSums = null)
    {
        switch (Simd.Width)
        {
            case SimdWidth.Bits512:
                SumPerFrame<Vec512>(rows, count, width, frameOfRow, frameCount, frameSums, columnSums);
                break;
            case SimdWidth.Bits256:
                SumPerFrame<Vec256>(rows, count, width, frameOfRow, frameCount, frameSums, columnSums);
                break;
            default:
                SumPerFrame<Vec128>(rows, count, width, frameOfRow, frameCount, frameSums, columnSums);
                break;
        }
    }

    private static void SumPerFrame<TV>(float* rows, int count, int width, int* frameOfRow, int frameCount, float* frameSums, float* columnSums)
        where TV : unmanaged, ISimdVector<TV>
    {
        // A frame's first row is added to zero in a register, its others to the sum: no pass clearing the sums first
        // (they are 1 MB a rollout).
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        Span<bool> seen = frameCount <= 4096 ? stackalloc bool[frameCount] : new bool[frameCount];
        seen.Clear();
        for (int r = 0; r < count; r++)
        {
            int frame = frameOfRow[r];
            ArgumentOutOfRangeException.ThrowIfNegative(frame);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, frameCount);
            float* row = rows + ((long)r * width), sums = frameSums + ((long)frame * width);
            bool first = !seen[frame], firstRow = r == 0;
            seen[frame] = true;
            int l = 0;
            for (; l + TV.Count <= width; l += TV.Count)
            {
                TV v = TV.Load(row + l);
                ((first ? TV.Zero : TV.Load(sums + l)) + v).Store(sums + l);
                if (columnSums is not null)
                {
                    ((firstRow ? TV.Zero : TV.Load(columnSums + l)) + v).Store(columnSums + l);
                }
            }

            for (; l < width; l++)
            {
                sums[l] = (first ? 0f : sums[l]) + row[l];
                if (columnSums is not null)
                {
                    columnSums[l] = (firstRow ? 0f : columnSums[l]) + row[l];
                }
            }
        }

        for (int f = 0; f < frameCount; f++)
        {
            if (!seen[f])
            {
                new Span<float>(frameSums + ((long)f * width), width).Clear();
            }
        }

        if (count == 0 && columnSums is not null)
        {
            new Span<float>(columnSums, width).Clear();
        }
    }
}
