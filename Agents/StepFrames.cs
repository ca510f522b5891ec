namespace GridTime.Agents;

/// <summary>
/// The picture a frame key names: [3, 56, 56] bytes 0..255, channel-major (<see cref="ConvEncoder.InputLength"/> of
/// them), as <c>VectorGridWorld.PlaneBytesOf</c> gives it from the environment's cache of drawn frames. A pass copies
/// the picture before it calls the lookup again, so the span need only stay as it is until then.
/// </summary>
/// <param name="key">A frame key, 0 or above.</param>
public delegate ReadOnlySpan<byte> FrameBytes(int key);

/// <summary>
/// One step's B observations as a <see cref="RolloutPass"/> reads them: given as bytes (with or without their frame
/// keys), or as keys and a <see cref="FrameBytes"/> that gives a key's picture, read only for the pictures a pass needs.
/// </summary>
internal readonly ref struct StepFrames
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly FrameBytes? _lookup;

    /// <summary>Frames given as bytes [B, 3, 56, 56], and their keys [B] or none.</summary>
    public StepFrames(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> keys)
    {
        _bytes = bytes;
        Keys = keys;
    }

    /// <summary>Frames given by their keys [B] and where to read each key's picture.</summary>
    public StepFrames(ReadOnlySpan<int> keys, FrameBytes lookup)
    {
        Keys = keys;
        _lookup = lookup;
    }

    /// <summary>Each frame's key [B], or empty where the frames came without keys.</summary>
    public ReadOnlySpan<int> Keys { get; }

    /// <summary>Frame <paramref name="b"/>'s picture, <see cref="ConvEncoder.InputLength"/> bytes.</summary>
    /// <exception cref="ArgumentException">The lookup gave a span of another length.</exception>
    public ReadOnlySpan<byte> Frame(int b)
    {
        if (_lookup is null)
        {
            return _bytes.Slice(b * ConvEncoder.InputLength, ConvEncoder.InputLength);
        }

        ReadOnlySpan<byte> picture = _lookup(Keys[b]);
        return picture.Length == ConvEncoder.InputLength
            ? picture
            : throw new ArgumentException($"the picture of frame key {Keys[b]} is {picture.Length} bytes; a frame is {ConvEncoder.InputLength} (3x56x56)", "frames");
    }

    /// <summary>
    /// All B pictures as bytes [B, 3, 56, 56]: the bytes given, or the pictures looked up, copied into
    /// <paramref name="buffer"/> (made or grown to B frames as needed).
    /// </summary>
    public ReadOnlySpan<byte> All(int batch, ref byte[]? buffer)
    {
        if (_lookup is null)
        {
            return _bytes;
        }

        int length = batch * ConvEncoder.InputLength;
        if (buffer is null || buffer.Length != length)
        {
            buffer = new byte[length];
        }

        for (int b = 0; b < batch; b++)
        {
            Frame(b).CopyTo(buffer.AsSpan(b * ConvEncoder.InputLength, ConvEncoder.InputLength));
        }

        return buffer;
    }
}
