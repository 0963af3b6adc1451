// The operations inputs of the TikTok type, as JSON Schemas: video fields are TikTok's own names, a video
// to publish is an https URL TikTok pulls, and privacy levels are TikTok's enum.
/** The fields of /v2/video/list/ (Display API). */
export const TIKTOK_VIDEO_FIELDS = [
  'id',
  'create_time',
  'cover_image_url',
  'share_url',
  'video_description',
  'duration',
  'height',
  'width',
  'title',
  'embed_html',
  'embed_link',
  'like_count',
  'comment_count',
  'share_count',
  'view_count',
] as const;

export const tiktokQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    resource: { enum: ['videos'], description: "videos: the user's videos with their counts (the default)" },
    max_count: { type: 'integer', minimum: 1, maximum: 20, description: 'Videos per page (TikTok: 1 to 20)' },
    fields: {
      type: 'array',
      minItems: 1,
      maxItems: TIKTOK_VIDEO_FIELDS.length,
      uniqueItems: true,
      items: { enum: TIKTOK_VIDEO_FIELDS },
      description: 'Video fields (id is always included); by default id, create_time, title and the counts',
    },
  },
} as const;

const publishVideo = {
  type: 'object',
  additionalProperties: false,
  required: ['video_url', 'title', 'privacy_level'],
  properties: {
    video_url: {
      type: 'string',
      pattern: '^https://[^\\s]+$',
      maxLength: 2048,
      description: 'An https URL on a domain verified for the TikTok app; TikTok pulls the video from it',
    },
    title: { type: 'string', maxLength: 2200, description: 'The caption (hashtags and mentions allowed)' },
    privacy_level: {
      enum: ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
      description:
        "Must be one of the creator's current options (a private account offers FOLLOWER_OF_CREATOR, not " +
        'PUBLIC_TO_EVERYONE); apps not yet audited by TikTok may post SELF_ONLY only, from private accounts',
    },
  },
} as const;

export const tiktokExecute = {
  publish_video: {
    description:
      'Publish a video TikTok pulls from a URL (Content Posting API, Direct Post). The privacy level is checked ' +
      "against the creator's current options first; TikTok takes 6 of these a minute per account. Answers 202 " +
      'with the publish_id; message publish_status then follows it to published (with post_ids) or failed',
    params: publishVideo,
  },
} as const;

export const tiktokOperationSchemas = { query: tiktokQuerySchema, execute: tiktokExecute } as const;
